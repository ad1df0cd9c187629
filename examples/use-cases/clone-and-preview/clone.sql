-- Clone environment 'acme' as the preview 'acme-pr-42', which expires in two
-- days: the settings first, then the environment row, in one transaction, so
-- that the preview's first rendering already has its settings.
START TRANSACTION;
INSERT INTO env_settings (env_id, name, value)
  SELECT 'acme-pr-42', name, value FROM env_settings WHERE env_id = 'acme';
INSERT INTO environments (env_id, app_version, replicas, cloned_from, expires_at)
  SELECT 'acme-pr-42', app_version, 1, env_id, NOW() + INTERVAL 2 DAY FROM environments WHERE env_id = 'acme';
COMMIT;

-- Keep it two more days:
--   UPDATE environments SET expires_at = expires_at + INTERVAL 2 DAY WHERE env_id = 'acme-pr-42';
-- Remove it now (the settings rows are harmless once the environment is gone):
--   DELETE FROM environments WHERE env_id = 'acme-pr-42';
