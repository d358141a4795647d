/**
 * @module The doctor's check of local models: the store's index is readable, every model's file
 * is there, and a local model that agents use (`llamacpp/<id>`) is in the store.
 */

import { LocalModelStore, type LocalModelView, parseLocalModelRef } from "../models/model_store.ts";
import { type DoctorCheck, type DoctorInput, firstEntries } from "./doctor_types.ts";

const id = "models.local";
const name = "Local models";

export async function checkLocalModels(input: DoctorInput): Promise<DoctorCheck[]> {
  const store = new LocalModelStore(input.paths.modelsDir);
  let models: LocalModelView[];
  try {
    models = await store.list();
  } catch (error) {
    return [{
      id,
      name,
      status: "fail",
      message: `The model store cannot be read: ${(error as Error).message}`,
      hint: `Fix or delete ${store.indexFile}, then download the models again`,
    }];
  }
  const checks: DoctorCheck[] = [];
  const missing: string[] = [];
  for (const model of models) {
    if (!await Deno.stat(model.path).then(() => true, () => false)) missing.push(model.id);
  }
  checks.push(
    missing.length
      ? {
        id,
        name,
        status: "warn",
        message: `Files missing for ${missing.join(", ")}`,
        hint: "Run pyclaw models delete-local MODEL_ID, then download it again",
      }
      : {
        id,
        name,
        status: "ok",
        message: models.length
          ? `${models.length} model${models.length === 1 ? "" : "s"} in ${store.dir}`
          : `No local models (pyclaw models download REPO_ID adds one)`,
      },
  );
  checks.push(...selectedChecks(input, models, missing));
  return checks;
}

function selectedChecks(
  input: DoctorInput,
  models: LocalModelView[],
  missing: string[],
): DoctorCheck[] {
  if (!input.config) return [];
  const uses = [
    { who: "agents.defaults.model", ref: input.config.agents.defaults.model },
    // Each agent as the gateway runs it: the first entry with its id (a later one is ignored).
    ...firstEntries(input.config.agents.list).map((agent) => ({
      who: `agent ${agent.id}`,
      ref: agent.model,
    })),
  ];
  const checks: DoctorCheck[] = [];
  for (const { who, ref } of uses) {
    const local = parseLocalModelRef(ref);
    if (!local) continue;
    const found = models.find((m) => m.id === local.id && m.backend === local.backend);
    if (!found || missing.includes(found.id)) {
      checks.push({
        id: "models.local.selected",
        name: "Selected local model",
        status: "fail",
        message: `${who} is ${ref}, which is not in the local store`,
        hint: "Download it (pyclaw models download) or choose another (pyclaw models select)",
      });
    } else {
      checks.push({
        id: "models.local.selected",
        name: "Selected local model",
        status: "ok",
        message: `${who} uses ${ref} (${found.path})`,
      });
    }
  }
  return checks;
}
