// The live-to-VOD board: polls the board's API every few seconds and renders one row per event
// output; plays a VOD inline (HLS through hls.js, or the MP4). Paths are relative to the page, so
// the board works wherever the api-server mounts it.
import Hls from "hls.js";

const REFRESH_MS = 5000;
const form = document.getElementById("filters");
const rowsBody = document.getElementById("rows");
const status = document.getElementById("status");
const video = document.getElementById("video");
let hls = null;
let playing = null;

// The Airflow UI's root: the page is served at <root>/live-to-vod/board.
const uiRoot = window.location.pathname.replace(/\/live-to-vod\/board\/?$/, "");

function params() {
  const data = new FormData(form);
  const query = new URLSearchParams({ tz: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC" });
  for (const key of ["day", "channel", "stage"]) {
    if (data.get(key)) query.set(key, data.get(key));
  }
  return query;
}

function time(iso) {
  return iso ? new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" }) : "";
}

function latency(seconds) {
  if (seconds === null || seconds === undefined) return "";
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return m ? `${m} min ${s} s` : `${s} s`;
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text ?? "";
  if (className) td.className = className;
  return td;
}

function link(label, href) {
  const a = document.createElement("a");
  a.textContent = label;
  a.href = href;
  a.target = "_top";
  a.rel = "noopener";
  return a;
}

function s3Console(uri) {
  const match = /^s3:\/\/([^/]+)\/(.*\/)?[^/]*$/.exec(uri || "");
  if (!match) return null;
  const prefix = encodeURIComponent(match[2] || "");
  return `https://console.aws.amazon.com/s3/buckets/${match[1]}?prefix=${prefix}`;
}

function renderRow(row) {
  const tr = document.createElement("tr");
  tr.dataset.event = row.event_id;
  tr.dataset.output = row.output;
  tr.dataset.stage = row.stage;
  tr.append(cell(row.event_id), cell(row.output), cell(row.channel));
  const stageCell = document.createElement("td");
  const badge = document.createElement("span");
  badge.className = `stage stage-${row.stage.replace(/ /g, "-")}`;
  badge.textContent = row.stage;
  stageCell.append(badge);
  tr.append(stageCell);
  tr.append(cell(time(row.end), "num"), cell(time(row.job_done), "num"), cell(time(row.playable), "num"));
  tr.append(cell(latency(row.latency_seconds), "num"), cell(row.reason || row.window_note, "reason"));
  const links = document.createElement("td");
  links.className = "links";
  if (row.run_id) {
    links.append(link("Run", `${uiRoot}/dags/live_event_harvest/runs/${encodeURIComponent(row.run_id)}`));
  }
  const s3 = s3Console(row.asset_uri);
  if (s3) links.append(link("S3", s3));
  if (row.harvest_job_id) {
    links.append(link("Harvest job", `https://console.aws.amazon.com/mediapackage/home#/harvest_jobs/${row.harvest_job_id}`));
  }
  tr.append(links);
  const play = document.createElement("td");
  const source = row.playback_url || row.mp4_url;
  if (source) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "Play";
    button.addEventListener("click", () => playVod(row));
    play.append(button);
  }
  for (const action of row.actions || []) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = action.label;
    button.dataset.action = action.label;
    button.addEventListener("click", () => takeAction(row, action));
    play.append(button);
  }
  tr.append(play);
  return tr;
}

// A late change (overtime, a delayed start) or the extra time's harvest: the new end is asked for,
// then the board's API says what it did, or why not (it names the field).
async function takeAction(row, action) {
  const endTime = window.prompt(`${action.label} for ${row.event_id}: the event's end (ISO 8601 with its offset)`, action.end_time || "");
  if (!endTime) return;
  const response = await fetch(action.url, {
    method: action.method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ end_time: endTime }),
  });
  const data = await response.json().catch(() => ({}));
  const detail = data.detail ?? data;
  const said = detail.message ? `${detail.message}${detail.problems ? `: ${detail.problems.join("; ")}` : ""}` : JSON.stringify(detail);
  const shown = document.getElementById("action-status");
  shown.textContent = response.ok ? `${action.label}: ${JSON.stringify(data)}` : `${action.label} refused (${response.status}): ${said}`;
  shown.dataset.outcome = response.ok ? "ok" : "refused";
  refresh();
}

function playVod(row) {
  const panel = document.getElementById("player");
  panel.style.display = "block";
  document.getElementById("player-title").textContent = `${row.event_id} / ${row.output}`;
  if (hls) {
    hls.destroy();
    hls = null;
  }
  playing = row.playback_url || row.mp4_url;
  if (row.playback_url && Hls.isSupported()) {
    hls = new Hls();
    hls.loadSource(row.playback_url);
    hls.attachMedia(video);
  } else {
    // The MP4 master through the board's presigned link, or HLS where the browser plays it natively.
    video.src = playing;
  }
  video.play().catch(() => {});
}

function fillSelect(select, values) {
  const current = select.value;
  const known = new Set([...select.options].map((o) => o.value));
  for (const value of values) {
    if (!known.has(value)) select.append(new Option(value, value));
  }
  select.value = current;
}

async function refresh() {
  try {
    const response = await fetch(`api/board?${params()}`, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
    const data = await response.json();
    if (!form.elements.day.value) form.elements.day.value = data.day;
    fillSelect(form.elements.channel, data.channels);
    fillSelect(form.elements.stage, data.stages);
    rowsBody.replaceChildren(...data.rows.map(renderRow));
    if (!data.rows.length) {
      const tr = document.createElement("tr");
      const td = cell("No events on this day.", "empty");
      td.colSpan = 11;
      tr.append(td);
      rowsBody.append(tr);
    }
    status.textContent = `Updated ${time(data.now)}`;
    status.dataset.updated = data.now;
  } catch (error) {
    status.textContent = `Could not refresh: ${error.message}`;
  }
}

form.addEventListener("change", refresh);
refresh();
setInterval(refresh, REFRESH_MS);
