/** @module The `pyclaw models ...` commands: download with progress, list, delete, select. */

import { downloadModel, type DownloadModelOptions } from "../agent/models/model_download.ts";
import { ModelDownloadError } from "../agent/models/hub.ts";
import {
  type HubSource,
  type LocalBackend,
  localModelRef,
  LocalModelStore,
  type LocalModelView,
  parseLocalModelRef,
} from "../agent/models/model_store.ts";
import { ConfigError } from "../core/config/load.ts";
import { GatewayError } from "../core/errors.ts";
import { ConfigStore } from "../core/config/store.ts";
import { configPath, stateDir, statePaths } from "../core/paths.ts";
import {
  type DownloadProgress,
  formatBytes,
  lineProgress,
  terminalProgress,
} from "./_download_progress.ts";
import { fail, printJson } from "./_output.ts";
import { applyConfigChange, printConfigChange } from "./_config_change.ts";

function openStore(env: Record<string, string | undefined>): LocalModelStore {
  return new LocalModelStore(statePaths(stateDir(env)).modelsDir);
}

async function openConfig(env: Record<string, string | undefined>): Promise<ConfigStore> {
  try {
    return await ConfigStore.open(configPath(env), { env });
  } catch (error) {
    if (error instanceof ConfigError) fail(error);
    throw error;
  }
}

/** `pyclaw models download REPO_ID`. */
export async function modelsDownload(
  repo: string,
  options: { filename?: string; backend: LocalBackend; source: HubSource },
): Promise<void> {
  const env = Deno.env.toObject();
  const store = openStore(env);
  const progress: DownloadProgress = Deno.stdout.isTerminal()
    ? await terminalProgress()
    : lineProgress((line) => console.log(line));
  const controller = new AbortController();
  // Ctrl-C stops the transfer but keeps the partial file, so the same command resumes it.
  const onInterrupt = () => controller.abort();
  Deno.addSignalListener("SIGINT", onInterrupt);
  const request: DownloadModelOptions = {
    repo,
    filename: options.filename,
    backend: options.backend,
    source: options.source,
    env,
    signal: controller.signal,
    events: {
      onPlan({ hub, files, choice }) {
        console.log(`${hub.label} (${hub.endpoint}): ${repo}`);
        if (choice?.automatic) {
          const quant = choice.quant ? `${choice.quant}, ` : "";
          console.log(
            `Chose ${choice.file.path} (${quant}${formatBytes(choice.file.size)}); ` +
              "pass --filename to pick another",
          );
        } else if (!choice) {
          const total = files.reduce((sum, file) => sum + file.size, 0);
          console.log(`MLX snapshot: ${files.length} files, ${formatBytes(total)}`);
        }
      },
      onFileStart(file, from, index, count) {
        const of = count > 1 ? ` (${index + 1}/${count})` : "";
        console.log(`Downloading ${file.path}${of}: ${formatBytes(file.size)}`);
        progress.start(file.path.split("/").at(-1)!, file.size, from);
      },
      onProgress: (received) => progress.update(received),
      onFileDone: () => progress.stop(),
    },
  };
  try {
    const { model, alreadyPresent } = await downloadModel(store, request);
    console.log(
      alreadyPresent
        ? `Already downloaded: ${model.id} (${formatBytes(model.size)}) at ${model.path}`
        : `Saved ${model.id} (${formatBytes(model.size)}${
          model.sha256 ? ", sha256 verified" : ""
        }) to ${model.path}`,
    );
    console.log(`Use it with: pyclaw models select "${model.id}"`);
  } catch (error) {
    progress.stop();
    if (error instanceof ModelDownloadError) {
      console.error(`Error: ${error.message}`);
      Deno.exit(error.failure === "interrupted" ? 130 : 1);
    }
    fail(error);
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
  }
}

/** `pyclaw models local [--json]`. */
export async function modelsLocal(options: { json?: boolean }): Promise<void> {
  const env = Deno.env.toObject();
  const store = openStore(env);
  let models: LocalModelView[];
  try {
    models = await store.list();
  } catch (error) {
    fail(error);
  }
  // The config decides what agents use; the store's own mark is a fallback when it is unreadable.
  let defaultModel: string | undefined;
  try {
    defaultModel = (await ConfigStore.open(configPath(env), { env })).current.agents.defaults.model;
  } catch {
    defaultModel = undefined;
  }
  const selected = parseLocalModelRef(defaultModel);
  const view = models.map((model) => ({
    ...model,
    selected: selected ? selected.id === model.id && selected.backend === model.backend : false,
  }));
  if (options.json) {
    printJson({ models: view, selected: view.find((m) => m.selected)?.id ?? null });
    return;
  }
  if (view.length === 0) {
    console.log(`No local models in ${store.dir}`);
    console.log("Download one with: pyclaw models download Qwen/Qwen3-4B-GGUF");
    return;
  }
  const rows = view.map((m) => [
    m.selected ? "*" : " ",
    m.id,
    m.backend,
    formatBytes(m.size),
    m.source,
    m.path,
  ]);
  const header = [" ", "ID", "BACKEND", "SIZE", "SOURCE", "PATH"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const row of [header, ...rows]) {
    console.log(
      row.map((cell, i) => i === row.length - 1 ? cell : cell.padEnd(widths[i])).join("  "),
    );
  }
  if (!view.some((m) => m.selected)) {
    console.log("\nNo local model is the default; choose one with: pyclaw models select MODEL_ID");
  }
}

/**
 * The stored model `id` names: exactly, or (with `ignoreCase`, for `select`) the one model equal
 * to it ignoring case. A command that deletes takes the exact id only, so an id that is gone
 * never falls through to another source's model of the same name in another case.
 */
async function findModel(
  store: LocalModelStore,
  id: string,
  options: { ignoreCase: boolean },
): Promise<LocalModelView> {
  const exact = await store.get(id).catch((error) => fail(error));
  if (exact) return exact;
  const similar = await store.match(id).catch((error) => fail(error));
  if (options.ignoreCase && similar.length === 1) return similar[0];
  const names = similar.map((m) => `"${m.id}"`).join(" or ");
  if (similar.length > 1 && options.ignoreCase) {
    // The models are there: what was typed does not say which, so it is the request that is wrong.
    fail(
      new GatewayError(
        "INVALID_PARAMS",
        `Ambiguous model id: ${id} matches ${names} in another letter case; give the exact id`,
        { candidates: similar.map((m) => m.id) },
      ),
    );
  }
  const why = similar.length
    ? `Local model not found: ${id} (did you mean ${names}? ids are exact here)`
    : `Local model not found: ${id} (see pyclaw models local)`;
  fail(new GatewayError("NOT_FOUND", why));
}

/** `pyclaw models delete-local MODEL_ID`. */
export async function modelsDeleteLocal(id: string): Promise<void> {
  const env = Deno.env.toObject();
  const store = openStore(env);
  const model = await findModel(store, id, { ignoreCase: false });
  const config = await openConfig(env);
  try {
    if (!await store.remove(model.id)) {
      throw new GatewayError("NOT_FOUND", `Local model not found: ${id} (deleted meanwhile)`);
    }
    console.log(`Deleted ${model.id} (${formatBytes(model.size)}) from ${model.path}`);
    if (config.current.agents.defaults.model === localModelRef(model)) {
      // Leaving the default on a deleted file would break every agent that relies on it.
      const applied = await applyConfigChange(
        { patch: { agents: { defaults: { model: null } } } },
        config,
      );
      console.log("It was the default model of agents; agents.defaults.model is now unset");
      printConfigChange(applied);
    }
  } catch (error) {
    fail(error);
  } finally {
    config.close();
  }
}

/** `pyclaw models select MODEL_ID`. */
export async function modelsSelect(id: string): Promise<void> {
  const env = Deno.env.toObject();
  const store = openStore(env);
  const model = await findModel(store, id, { ignoreCase: true });
  const config = await openConfig(env);
  try {
    if (model.backend === "mlx" && !config.current.models.providers.mlx) {
      // pyclaw does not run MLX itself; without a provider the reference would lead nowhere.
      throw new Error(
        `${model.id} is an MLX model: serve it with mlx_lm.server and add it as ` +
          "models.providers.mlx (an OpenAI-compatible baseUrl) first; see docs/local-models.md",
      );
    }
    const ref = localModelRef(model);
    const applied = await applyConfigChange({ key: "agents.defaults.model", value: ref }, config);
    await store.select(model.id);
    console.log(`Default model of agents is now ${ref}`);
    console.log(`(agents.defaults.model in ${config.path})`);
    printConfigChange(applied);
  } catch (error) {
    fail(error);
  } finally {
    config.close();
  }
}
