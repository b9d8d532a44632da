/**
 * `import()` of an ES module (the `open` package) from a file Node loads
 * itself. The command line's bundle runs through `vm.Script` with compiled code
 * (cli/compiled-code.ts), where `import()` has no loader without an experimental
 * option, so the bundle requires this file (tsc's output, next to it in the
 * package) for its one ES module. A bare specifier resolves here as from the
 * bundle: both are inside the package.
 */
export function importEsm<T>(specifier: string): Promise<T> {
  return import(specifier) as Promise<T>;
}
