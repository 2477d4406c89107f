import { builtin } from './builtin.js';

/** The SHA-256 of `text` (UTF-8), in hex: the digests of saved plans and their policies, and the lock file's name for a tree that is not /sys. */
export function sha256Hex(text: string): string {
  return builtin('node:crypto').createHash('sha256').update(text).digest('hex');
}
