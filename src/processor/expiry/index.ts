export { ExpiryQueue } from './expiry-queue.js';
export { type ExpiryTime, expiryTime } from './expiry-time.js';
