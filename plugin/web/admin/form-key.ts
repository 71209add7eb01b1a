import { randomBytes } from 'node:crypto';

/**
 * A fresh one-time key for an admin form that makes something (an adjustment, a credit, a
 * reward): the service keys the write by it, so the same form posted twice makes one.
 */
export const newFormKey = (): string => randomBytes(18).toString('base64url');
