// One plotly graph per mount, kept alive across reruns and redrawn in place (ui/live_chart.py).
//
// Streamlit calls this function again, with the same parentElement, whenever the element's data
// changes; the element keeps its identity because it has a key. So the first call builds the graph
// and later calls only hand Plotly.react the new figure, which redraws what changed (the bars)
// instead of building a plot from scratch as a remounted st.plotly_chart does.
//
// data: {figure: {data, layout}, config, src}; src is plotly.min.js under the app's static files.

const LOADING = "__liveChartPlotly";  // window property: the one load every mount waits on

// plotly.js (3.5 MB) takes the main thread for most of a second to compile and run: it is added a moment
// after the first chart mounts, once the page is idle, so the rest of the first page (the Draw page's
// canvas, which is mounted in the same run) is drawn and takes strokes before it.
const PLOTLY_DELAY_MS = 800;
const whenSettled = () => new Promise((resolve) => setTimeout(() =>
  window.requestIdleCallback ? requestIdleCallback(resolve, {timeout: 1000}) : resolve(), PLOTLY_DELAY_MS));

function loadPlotly(src) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window[LOADING]) {
    window[LOADING] = whenSettled().then(() => new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.async = true;
      script.onload = () => window.Plotly ? resolve(window.Plotly) : reject(new Error(`${src} defined no window.Plotly`));
      script.onerror = () => {
        delete window[LOADING];  // a later mount may try again
        script.remove();
        reject(new Error(`could not load ${src} (server.enableStaticServing off, or static/ not written?)`));
      };
      document.head.appendChild(script);
    }));
  }
  return window[LOADING];
}

function mount(parent) {
  const div = document.createElement("div");
  div.className = "live-plotly";
  parent.appendChild(div);
  // Streamlit's plotly theme sets the app's font; a graph drawn outside st.plotly_chart reads it here.
  const font = getComputedStyle(parent).getPropertyValue("--st-font").trim();
  const chart = {div, font, latest: null, drawn: null, busy: false, revision: 0};

  // Follow the container's width (plotly's own `responsive` only listens to the window).
  let width = -1, frame = 0;
  const resize = new ResizeObserver(([entry]) => {
    const w = Math.round(entry.contentRect.width);
    if (w === width) return;
    width = w;
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => { if (chart.revision && window.Plotly) window.Plotly.Plots.resize(div); });
  });
  resize.observe(parent);

  // Streamlit keeps only the last call's cleanup for the unmount, and runs a superseded call's at
  // once: tear down only once the element has really left the page.
  chart.cleanup = () => setTimeout(() => {
    if (parent.isConnected) return;
    resize.disconnect();
    cancelAnimationFrame(frame);
    if (window.Plotly) window.Plotly.purge(div);
    delete parent.__liveChart;
  });
  return chart;
}

function draw(chart) {
  if (chart.busy || chart.drawn === chart.latest) return;  // the running draw picks up the latest after it
  const current = chart.latest;
  const {figure, config} = current;
  const layout = chart.font ? {...figure.layout, font: {family: chart.font, ...figure.layout.font}} : figure.layout;
  chart.busy = true;
  chart.drawn = current;
  Promise.resolve(window.Plotly.react(chart.div, figure.data, layout, config))
    .then(() => { chart.div.dataset.revision = String(++chart.revision); })  // bench/browser_latency.py watches it
    .catch((err) => console.error("live chart: Plotly.react failed", err))
    .finally(() => { chart.busy = false; draw(chart); });
}

export default function liveChart({data, parentElement}) {
  const chart = parentElement.__liveChart || (parentElement.__liveChart = mount(parentElement));
  chart.latest = data;
  const height = data.figure.layout && data.figure.layout.height;
  if (height) chart.div.style.minHeight = `${height}px`;  // hold the space while plotly.js loads
  loadPlotly(data.src).then(() => draw(chart), (err) => {
    console.error("live chart:", err);
    chart.div.textContent = `The chart could not be drawn: ${err.message}`;
  });
  return chart.cleanup;
}
