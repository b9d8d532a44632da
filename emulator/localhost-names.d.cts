/** Makes `dns.lookup` resolve `*.localhost` names as `localhost`; returns the function that undoes it. */
export declare function install(): () => void;
/** `x.localhost` → `localhost`; every other name as it is. */
export declare function loopbackName(hostname: string): string;
/** Wraps a `dns.lookup`-shaped function so `*.localhost` names are looked up as `localhost`. */
export declare function wrapLookup<T extends (...args: never[]) => unknown>(lookup: T): T;
