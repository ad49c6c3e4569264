import "uplot/dist/uPlot.min.css";
import "./style.css";
import { render, type ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { UiInfo } from "../types.js";
import { onUnauthorized, signIn, uiGet } from "./api.js";
import { Await, ErrorBox } from "./components/bits.js";
import { useLoad, type Loaded } from "./hooks.js";
import { ComparePage } from "./pages/compare.js";
import { DriftPage } from "./pages/drift.js";
import { FeaturesPage } from "./pages/features.js";
import { ModelPage } from "./pages/model.js";
import { ModelsPage } from "./pages/models.js";
import { PipelinesPage } from "./pages/pipelines.js";
import { RunPage } from "./pages/run.js";
import { RunsPage } from "./pages/runs.js";
import { href, useRoute, type Route } from "./router.js";

/** The app: a header with the sections, and the page the hash route names. */

const SECTIONS = [
  { key: "experiments", label: "Experiments", match: ["experiments", "runs", "compare"] },
  { key: "models", label: "Models", match: ["models"] },
  { key: "pipelines", label: "Pipelines", match: ["pipelines"] },
  { key: "features", label: "Features", match: ["features"] },
  { key: "drift", label: "Drift", match: ["drift"] },
];

function Header({ route, info }: { route: Route; info?: UiInfo }) {
  const at = route.parts[0] ?? "experiments";
  return (
    <header class="top">
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById("main")?.focus(); }}>Skip to content</a>
      <a class="brand" href={href("experiments")}>mlf</a>
      <nav aria-label="Sections">
        <ul>
          {SECTIONS.map((s) => (
            <li key={s.key}>
              <a href={href(s.key)} aria-current={s.match.includes(at) ? "page" : undefined}>{s.label}</a>
            </li>
          ))}
        </ul>
      </nav>
      <span class="spacer" />
      {info && (
        <span class={`mode ${info.allowWrites ? "writes" : "read-only"}`} title={info.trackingDir}>
          {info.allowWrites ? "changes allowed" : "read-only"}
        </span>
      )}
    </header>
  );
}

/** Runs pages start their own requests at once; the others wait for /ui-api/info (what the server allows). */
function Page({ route, info }: { route: Route; info: Loaded<UiInfo> }) {
  const [section, a, b] = route.parts;
  const withInfo = (page: (i: UiInfo) => ComponentChildren) => <Await load={info}>{page}</Await>;
  switch (section) {
    case undefined:
    case "experiments":
      return <RunsPage route={route} />;
    case "runs":
      return a ? <RunPage runId={a} /> : <RunsPage route={route} />;
    case "compare": {
      const ids = (route.query.get("runs") ?? "").split(",").filter(Boolean);
      return ids.length >= 2 ? <ComparePage ids={ids} /> : <ErrorBox error={new Error("Pick two or more runs to compare: tick them in the runs table, then Compare selected.")} />;
    }
    case "models":
      return a ? withInfo((i) => <ModelPage key={a} name={a} {...(b !== undefined && { version: b })} info={i} />) : <ModelsPage />;
    case "pipelines":
      return withInfo((i) => <PipelinesPage info={i} {...(a !== undefined && { name: a })} />);
    case "features": {
      const focus = route.query.get("focus");
      return withInfo((i) => <FeaturesPage info={i} {...(focus && { focus })} />);
    }
    case "drift":
      return withInfo((i) => <DriftPage info={i} route={route} />);
    default:
      return <ErrorBox error={new Error(`There is no page "${section}"; use the sections above.`)} />;
  }
}

function SignIn({ done }: { done: () => void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string>();
  return (
    <form
      class="card signin"
      onSubmit={async (e) => {
        e.preventDefault();
        try {
          await signIn(token);
          done();
        } catch (err) {
          setError((err as Error).message);
        }
      }}
    >
      <h1>Sign in</h1>
      <p>This server needs its token (the --auth-token it was started with).</p>
      <label for="token">Token</label>
      <input id="token" type="password" value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} autocomplete="current-password" required />
      <button type="submit" class="primary">Sign in</button>
      {error && <p class="error" role="alert">{error}</p>}
    </form>
  );
}

function App() {
  const route = useRoute();
  const [needsToken, setNeedsToken] = useState(false);
  useEffect(() => onUnauthorized(() => setNeedsToken(true)), []);
  const info = useLoad(() => uiGet<UiInfo>("/info"), [needsToken]);
  return (
    <>
      <Header route={route} {...(info.data && { info: info.data })} />
      <main id="main" tabIndex={-1}>
        {needsToken ? <SignIn done={() => setNeedsToken(false)} /> : <Page route={route} info={info} />}
      </main>
    </>
  );
}

render(<App />, document.getElementById("app")!);
