/** The hash of native/'s sources and build file (what the built binding was made from). */
export function nativeSourceHash(root: string): string;
/** Where the hash of the last build of native/build/Release is kept. */
export function stampFile(root: string): string;
