import type { KubeObject, ObjectRef } from './kube-object.js';
import type { WatchEvent } from './watch-stream.js';

// The port the sink's applier depends on: what it needs from a cluster, and
// nothing else. KubeClient is the real adapter; tests of pure sink logic can
// hand in any object with these methods.
//
// Every failure is a RowkubeError (KubeApiError) whose message starts with the
// object (`Deployment/tenant-a/web: apply failed (HTTP 422 Invalid): …`) and
// whose `retriable` says whether the same call may succeed later: true for
// network failures, timeouts, 429, 5xx, optimistic-concurrency 409s and a
// namespace that is missing or terminating; false for invalid objects
// (KUBERNETES_INVALID), permissions (KUBERNETES_FORBIDDEN), unknown kinds
// (UNKNOWN_KIND) and field-manager conflicts (ApplyConflictError).

export interface ApplyOptions {
  /** The field manager that owns what this apply sets, e.g. `rowkube`. */
  fieldManager: string;
  /** Take fields another manager owns instead of failing with ApplyConflictError. */
  force: boolean;
  /** Let the server compute the result without persisting it (`dryRun=All`). Default false. */
  dryRun?: boolean;
}

export type DeletePropagation = 'Background' | 'Foreground';

export interface DeleteOptions {
  /** Background: dependents are removed after the owner; Foreground: the owner waits for them. */
  propagation: DeletePropagation;
  /**
   * Delete only this very object: the server refuses when the object of that
   * name has another uid (a newer object) or, if given, another
   * resourceVersion (changed since it was read). Outcome 'changed'.
   */
  preconditions?: { uid: string; resourceVersion?: string };
}

/**
 * 'deleted': the server accepted the deletion (finalizers may keep the object
 * a while); 'absent': it did not exist; 'changed': the preconditions did not
 * hold, nothing was deleted.
 */
export type DeleteOutcome = 'deleted' | 'absent' | 'changed';

export interface ListOptions {
  /** Objects per request; the list follows `continue` tokens until the end. Default 500. */
  pageSize?: number;
  /**
   * List a namespaced kind in this namespace only, instead of across all
   * namespaces: what a Role (rather than a ClusterRole) allows. Ignored for
   * cluster-scoped kinds.
   */
  namespace?: string;
  /**
   * What to keep of each listed object, applied as each page arrives: a
   * long list then never holds every whole object at once (the watch cache
   * keeps a slim view of each, and a page of whole objects is 500).
   */
  keep?: (object: KubeObject) => KubeObject;
}

/** A JSON merge patch (RFC 7386): any JSON object; null values remove fields. */
export type MergePatch = object;

/** What a server-side apply returned, and whether it created the object. */
export interface AppliedObject {
  object: KubeObject;
  created: boolean;
}

export interface KubeApi {
  /** Server-side apply; resolves with the object as the server returned it. */
  apply(object: KubeObject, options: ApplyOptions): Promise<KubeObject>;
  /** apply, telling a created object from an existing one (HTTP 201 vs 200) without a GET first. */
  applyReporting(object: KubeObject, options: ApplyOptions): Promise<AppliedObject>;
  /** The object, or undefined when it does not exist. */
  get(ref: ObjectRef): Promise<KubeObject | undefined>;
  delete(ref: ObjectRef, options: DeleteOptions): Promise<DeleteOutcome>;
  /** A JSON merge patch (no field manager ownership); undefined when the object does not exist. */
  mergePatch(ref: ObjectRef, patch: MergePatch): Promise<KubeObject | undefined>;
  /**
   * Every object of a kind matching `labelSelector`, across all namespaces for
   * a namespaced kind unless `options.namespace` names one. Each item carries
   * apiVersion and kind.
   */
  list(apiVersion: string, kind: string, labelSelector: string, options?: ListOptions): Promise<KubeObject[]>;
  /** Whether objects of the kind live in a namespace. */
  isNamespaced(apiVersion: string, kind: string): Promise<boolean>;
}

/** A list with the resourceVersion of its snapshot: where a watch goes on from. */
export interface VersionedList {
  items: KubeObject[];
  resourceVersion: string;
}

export interface WatchOptions {
  namespace?: string;
  /** Changes after this version (of a list or of the last event seen). */
  resourceVersion: string;
  /** The server ends the watch after this long; the caller watches again from where it got. */
  timeoutSeconds: number;
  /** Ends the watch quietly. */
  signal: AbortSignal;
}

/**
 * Listing and watching, for the watch-fed cache of owned objects (an
 * informer). A separate port: the applier needs none of it, and a client
 * without it makes the sink look at objects by polling instead.
 */
export interface KubeWatchApi {
  listVersioned(
    apiVersion: string,
    kind: string,
    labelSelector: string,
    options?: ListOptions,
  ): Promise<VersionedList>;
  /**
   * Events of the objects matching `labelSelector` after `resourceVersion`,
   * bookmarks included. Rejects or throws WatchError with `gone` when that
   * version is too old (HTTP 410): list again. Other failures are KubeApiErrors.
   */
  watch(
    apiVersion: string,
    kind: string,
    labelSelector: string,
    options: WatchOptions,
  ): Promise<AsyncIterable<WatchEvent>>;
}

export function canWatch(kube: object): kube is KubeWatchApi {
  return 'watch' in kube && 'listVersioned' in kube;
}
