/** @module `pyclaw models ...`: download, list, delete and select local models. */

import { type Command, InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { isRepoId, notARepoIdMessage } from "../core/repo_id.ts";

export function registerModelsCommands(program: Command): void {
  const models = program
    .command("models")
    .description("Manage local models (download from HuggingFace or ModelScope, select, delete)")
    .addHelpText(
      "after",
      `
Examples:
  pyclaw models download Qwen/Qwen3-4B-GGUF
  pyclaw models local
  pyclaw models select "Qwen/Qwen3-4B-GGUF/Qwen3-4B-Q4_K_M.gguf"`,
    );

  models
    .command("download")
    .description(
      "Download a model into the local store (a GGUF, or an MLX snapshot on Apple Silicon)",
    )
    .argument("<repo>", "repo id, e.g. Qwen/Qwen3-4B-GGUF", repoIdArg)
    .option("--filename <file>", "the GGUF file to download (default: Q4_K_M or the nearest)")
    .addOption(
      new Option("--backend <backend>", "runtime the model is for")
        .choices(["llamacpp", "mlx"] as const).default("llamacpp" as const),
    )
    .addOption(
      new Option("--source <hub>", "hub to download from (HF_ENDPOINT / MODELSCOPE_ENDPOINT)")
        .choices(["huggingface", "modelscope"] as const).default("huggingface" as const),
    )
    .action(async (repo, options) => {
      const { modelsDownload } = await import("./models_run.ts");
      await modelsDownload(repo, options);
    });

  models
    .command("local")
    .description("List downloaded models: id, backend, size, path, and which is selected")
    .option("--json", "print JSON")
    .action(async (options) => {
      const { modelsLocal } = await import("./models_run.ts");
      await modelsLocal(options);
    });

  models
    .command("delete-local")
    .description("Delete a downloaded model's files and its store entry")
    .argument("<model-id>", "id as shown by `pyclaw models local`")
    .action(async (id) => {
      const { modelsDeleteLocal } = await import("./models_run.ts");
      await modelsDeleteLocal(id);
    });

  models
    .command("select")
    .description("Make a downloaded model the default model of agents (agents.defaults.model)")
    .argument("<model-id>", "id as shown by `pyclaw models local`")
    .action(async (id) => {
      const { modelsSelect } = await import("./models_run.ts");
      await modelsSelect(id);
    });
}

/** Commander parser of a repo id: a malformed one is bad usage (exit 2) before anything loads. */
export function repoIdArg(value: string): string {
  if (isRepoId(value)) return value;
  throw new InvalidArgumentError(notARepoIdMessage(value));
}
