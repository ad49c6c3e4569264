import type { UiInfo } from "../../types.js";
import { useTitle } from "../hooks.js";

/**
 * Drift reports. The place is kept for the monitor library (src/monitor, `mlf monitor
 * drift`); until the server has it, the page says how drift will be reported.
 */
export function DriftPage({ info }: { info: UiInfo }) {
  useTitle("Drift");
  return (
    <>
      <div class="page-head">
        <h1>Drift reports</h1>
      </div>
      {!info.drift && (
        <div class="card">
          <p>This mlf has no monitoring yet. Once <code>mlf monitor drift</code> is available, the drift reports of registered models (each feature's distribution against the reference profile recorded at registration) are listed here.</p>
        </div>
      )}
    </>
  );
}
