/** @module The models screen: every configured provider's models, each with a real probe. */

import { useState } from "preact/hooks";
import { Badge, ErrorNote, Loaded, Page } from "../components.tsx";
import { useGateway, useRpc } from "../gateway_context.ts";
import type { MethodResult } from "../../core/protocol/methods.ts";

type ModelInfo = MethodResult<"models.list">[number];

type ProbeResult = MethodResult<"models.probe">;

export function ModelsView() {
  const [refresh, setRefresh] = useState(false);
  const models = useRpc("models.list", { refresh });
  return (
    <Page
      title="Models"
      actions={
        <button
          type="button"
          disabled={models.loading}
          onClick={() => (setRefresh(true), models.reload())}
        >
          Refresh lists
        </button>
      }
    >
      <Loaded result={models} what="Models">
        {(list) =>
          list.length === 0
            ? (
              <p class="note">
                No models: add a provider under <code>models.providers</code>.
              </p>
            )
            : (
              <div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Provider</th>
                      <th scope="col">Model</th>
                      <th scope="col">Context</th>
                      <th scope="col">Source</th>
                      <th scope="col">Probe</th>
                    </tr>
                  </thead>
                  <tbody>
                    {list.map((model) => (
                      <ModelRow key={`${model.provider}/${model.id}`} model={model} />
                    ))}
                  </tbody>
                </table>
              </div>
            )}
      </Loaded>
    </Page>
  );
}

function ModelRow(props: { model: ModelInfo }) {
  const gateway = useGateway();
  const [result, setResult] = useState<ProbeResult | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const { model } = props;
  const probe = async () => {
    setBusy(true);
    setError(undefined);
    try {
      setResult(
        await gateway.call(
          "models.probe",
          { model: model.id, provider: model.provider },
          60_000,
        ),
      );
    } catch (failure) {
      setError(failure as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <tr>
      <td>{model.provider}</td>
      <th scope="row">
        {model.name && model.name !== model.id ? `${model.name} (${model.id})` : model.id}
      </th>
      <td>{model.contextWindow ? model.contextWindow.toLocaleString() : "—"}</td>
      <td>{model.source ?? "—"}</td>
      <td aria-live="polite">
        <div class="row-actions">
          <button type="button" onClick={probe} disabled={busy}>
            {busy ? "Probing…" : "Probe"}
            <span class="visually-hidden">{` ${model.provider}/${model.id}`}</span>
          </button>
          {result && (result.available
            ? <Badge tone="ok">available, {result.latency} ms</Badge>
            : <Badge tone="fail">unavailable: {result.error ?? "no answer"}</Badge>)}
        </div>
        <ErrorNote error={error} />
      </td>
    </tr>
  );
}
