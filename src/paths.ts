import { fileURLToPath } from 'node:url';

/** The repository root: this file sits one level below it both as src/paths.ts and as dist/paths.js. */
export const projectRoot = fileURLToPath(new URL('..', import.meta.url));
