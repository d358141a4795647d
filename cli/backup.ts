/** @module `pyclaw backup ...`: export, list and restore backups of the state dir. */

import type { Command } from "@commander-js/extra-typings";

export function registerBackupCommands(program: Command): void {
  const backup = program
    .command("backup")
    .description("Back up the state dir (config, sessions, cron, plans, pairings) and restore it")
    .addHelpText(
      "after",
      `
Examples:
  pyclaw backup export
  pyclaw backup list --json`,
    );

  backup
    .command("export")
    .description("Write a new backup archive under <state>/backups/")
    .option("--json", "print JSON")
    .action(async (options) => {
      const { backupExport } = await import("./backup_run.ts");
      await backupExport(options);
    });

  backup
    .command("list")
    .description("List the backups under <state>/backups/, newest first")
    .option("--json", "print JSON")
    .action(async (options) => {
      const { backupList } = await import("./backup_run.ts");
      await backupList(options);
    });

  backup
    .command("restore")
    .description("Restore a backup archive; the parts it replaces are moved aside, not deleted")
    .argument("<file>", "a pyclaw-backup-\u2026.tar.gz archive")
    .option("--force", "restore even while a gateway answers on the configured port")
    .option("--json", "print JSON")
    .action(async (file, options) => {
      const { backupRestore } = await import("./backup_run.ts");
      await backupRestore(file, options);
    });
}
