/** @module The program's name and version, importable so a compiled binary needs no package.json. */

/** npm package name, used by `update.check`. A test keeps it equal to package.json. */
export const PACKAGE_NAME = "pyclaw";

/** Program version. A test keeps it equal to package.json. */
export const VERSION = "0.1.0";
