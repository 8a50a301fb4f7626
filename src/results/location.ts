import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InputError } from '../errors.js';

/**
 * Where a dataset or a study's results live, as activities pass it: a URI, so that an object
 * store can be added behind the same strings without touching the workflows. Today every
 * location is a `file://` URI on a filesystem the workers share (docs/OPERATIONS.md); a plain
 * absolute path is accepted as the same thing.
 */
export type Location = string;

export function locationOf(dir: string): Location {
  return pathToFileURL(path.resolve(dir)).href;
}

/** The local path of a file location; any other scheme is refused with a message saying so. */
export function localPathOf(location: Location, what: string): string {
  if (!/^[a-z][a-z0-9+.-]*:/i.test(location)) return path.resolve(location);
  const scheme = location.slice(0, location.indexOf(':')).toLowerCase();
  if (scheme !== 'file') {
    throw new InputError(`${what} is at ${location}: only file:// locations (a shared filesystem) are supported so far`);
  }
  try {
    return fileURLToPath(location);
  } catch (err) {
    throw new InputError(`${what} location ${location} is not a valid file URI: ${(err as Error).message}`);
  }
}

/** A location inside another: `${base}/${name}` for URIs, path.join for plain paths. */
export function childLocation(base: Location, name: string): Location {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(base) ? `${base.replace(/\/+$/, '')}/${encodeURIComponent(name)}` : path.join(base, name);
}
