/** Types for import-cycles.mjs. */
export declare const CHECKED_DIRS: readonly string[];
/** Every import cycle among the files under `dirs` (relative to `cwd`), each as the files round it. */
export declare function findImportCycles(dirs: readonly string[], options?: { cwd?: string }): Promise<string[][]>;
