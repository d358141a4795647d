/**
 * @module `backup.*`: export the state dir to a tar.gz under `<state>/backups/`, and list them.
 * The backup store (and its tar library) loads on the first call, not at the gateway's start.
 */

import { defineMethods } from "../method_table.ts";

export const backupMethods = defineMethods({
  "backup.export": {
    handler: async (_params, ctx) => {
      const { exportBackup } = await import("../../agent/backups/backup_store.ts");
      const result = await exportBackup(
        { paths: ctx.gateway.paths, configPath: ctx.configStore.path },
        { keep: ctx.config().backup.keep },
      );
      ctx.logger.info("backup exported", {
        path: result.path,
        files: result.files.length,
        connId: ctx.connId,
      });
      return result;
    },
  },
  "backup.status": {
    handler: async (_params, ctx) => {
      const { listBackups } = await import("../../agent/backups/backup_store.ts");
      const backups = await listBackups(ctx.gateway.paths);
      return { backups, count: backups.length, keep: ctx.config().backup.keep };
    },
  },
});
