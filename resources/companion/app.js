// The companion web client of the trading terminal: pairing, then positions, quotes, working
// orders and activity, live over the terminal's stream. Plain JS, no build step, no libraries.
// Everything shown goes through textContent (never innerHTML); money fields are the API's
// decimal strings, shown exactly as given.
"use strict";

(() => {
  const API = "/api/v1";
  const CREDS_KEY = "tt.companion.credentials";
  const PREFS_KEY = "tt.companion.prefs";
  const SNAPSHOT_KEY = "tt.companion.snapshot";
  const CHANNELS = ["positions", "orders", "fills", "quotes", "alerts", "signals", "account"];
  const WORKING = new Set(["pending_new", "accepted", "partially_filled", "pending_cancel"]);
  const FEED_MAX = 40;
  const FEED_SCAN = 400; // device log events read for the activity list
  const DEFAULT_WATCH = 8;
  const REFRESH_MARGIN_MS = 60_000; // refresh the access token this long before it expires
  const BACKOFF_MIN_MS = 1_000;
  const BACKOFF_MAX_MS = 30_000;
  const DECIMAL = /^\d+(\.\d+)?$|^\.\d+$/;
  const CLOSE_REVOKED = 4401;
  const CLOSE_SLOW = 4008;

  const $ = (id) => document.getElementById(id);

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function readJson(key) {
    try {
      const raw = localStorage.getItem(key);
      return raw ? JSON.parse(raw) : null;
    } catch {
      return null;
    }
  }

  function writeJson(key, value) {
    try {
      if (value === null) localStorage.removeItem(key);
      else localStorage.setItem(key, JSON.stringify(value));
    } catch {
      // storage full or disabled: the session still works until the page closes
    }
  }

  // ---- numbers and names ---------------------------------------------------------------
  const isZero = (text) => /^[+-]?0*(\.0*)?$/.test(String(text ?? "0"));
  const isNegative = (text) => String(text ?? "").trim().startsWith("-");
  const symbolOf = (iid) => String(iid).split(":").slice(1).join(":") || String(iid);
  const venueOf = (iid) => (String(iid).includes(":") ? String(iid).split(":")[0] : "");
  // exact amounts are decimal strings: shown as given, less the fraction's trailing zeros
  // (100.00000000 -> 100), a change of text only, never of value (no floats, no rounding)
  const dec = (text) => {
    if (text === null || text === undefined) return "—";
    const s = String(text);
    return /^[+-]?\d+\.\d+$/.test(s) ? s.replace(/\.?0+$/, "") : s;
  };
  // market data are JSON numbers: String() gives the shortest text that reads back the same
  const price = (value) => (value === null || value === undefined ? "—" : String(value));

  function timeOf(ns) {
    if (!ns) return "";
    const when = new Date(Number(ns) / 1e6);
    const today = new Date();
    const sameDay = when.toDateString() === today.toDateString();
    const hms = when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
    return sameDay ? hms : `${when.toLocaleDateString([], { month: "short", day: "numeric" })} ${hms}`;
  }

  // ---- credentials -----------------------------------------------------------------------
  class AuthLost extends Error {}

  class ApiError extends Error {
    constructor(status, problem) {
      super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
      this.status = status;
      this.problem = problem || {};
    }
  }

  let creds = readJson(CREDS_KEY);
  let refreshing = null;
  let refreshTimer = null;

  function saveCreds(next) {
    creds = next;
    writeJson(CREDS_KEY, next);
    scheduleRefresh();
  }

  function withLock(work) {
    // one tab at a time rotates the refresh token (a reused one revokes the device)
    if (navigator.locks && navigator.locks.request) {
      return navigator.locks.request("tt-companion-refresh", work);
    }
    return work();
  }

  function tokenFields(body, base) {
    return {
      ...base,
      device_id: body.device_id || base.device_id,
      access_token: body.access_token,
      refresh_token: body.refresh_token,
      scope: body.scope || base.scope,
      expires_in: body.expires_in,
      expires_at: Date.now() + Number(body.expires_in || 900) * 1000,
    };
  }

  function refreshTokens() {
    if (refreshing) return refreshing;
    const startedWith = creds && creds.refresh_token;
    refreshing = withLock(async () => {
      const stored = readJson(CREDS_KEY);
      if (!stored) throw new AuthLost("This device is not paired any more.");
      if (stored.refresh_token !== startedWith) {
        // another tab rotated the tokens meanwhile: use theirs
        creds = stored;
        scheduleRefresh();
        return;
      }
      const response = await fetch(`${API}/pairing/token`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ grant_type: "refresh_token", refresh_token: stored.refresh_token }),
        cache: "no-store",
        credentials: "omit",
      });
      if (response.status >= 400 && response.status < 500 && response.status !== 429) {
        const problem = await response.json().catch(() => ({}));
        throw new AuthLost(`The terminal no longer accepts this device${problem.detail ? ` (${problem.detail})` : ""}. Pair again with a new code.`);
      }
      if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
      saveCreds(tokenFields(await response.json(), stored));
    }).catch((error) => {
      if (error instanceof AuthLost) lose(error.message);
      throw error;
    }).finally(() => {
      refreshing = null;
    });
    return refreshing;
  }

  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    if (!creds) return;
    const ttl = Number(creds.expires_in || 900) * 1000;
    const margin = Math.min(REFRESH_MARGIN_MS, ttl / 4);
    const wait = Math.max(5_000, Number(creds.expires_at || 0) - Date.now() - margin);
    refreshTimer = setTimeout(() => {
      refreshTokens().catch((error) => {
        if (!(error instanceof AuthLost)) {
          clearTimeout(refreshTimer);
          refreshTimer = setTimeout(scheduleRefresh, 15_000); // offline: try again soon
        }
      });
    }, wait);
  }

  async function freshEnough() {
    if (creds && Number(creds.expires_at || 0) - Date.now() < REFRESH_MARGIN_MS) {
      try {
        await refreshTokens();
      } catch (error) {
        if (error instanceof AuthLost) throw error;
        // unreachable right now: the current token may still do
      }
    }
  }

  async function api(method, path, body) {
    if (!creds) throw new AuthLost("Not paired.");
    await freshEnough();
    const send = () => fetch(API + path, {
      method,
      headers: {
        Authorization: `Bearer ${creds.access_token}`,
        Accept: "application/json",
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "omit",
    });
    let response = await send();
    if (response.status === 401) {
      await refreshTokens(); // once; a failure here goes back to pairing
      response = await send();
      if (response.status === 401) {
        lose("The terminal refused this device's token.");
        throw new AuthLost("unauthorized");
      }
    }
    if (!response.ok) {
      throw new ApiError(response.status, await response.json().catch(() => null));
    }
    return response.status === 204 ? null : response.json();
  }

  // ---- what is shown ---------------------------------------------------------------------
  const state = {
    positions: new Map(),
    quotes: new Map(),
    orders: new Map(),
    feed: [],
    account: null,
    instruments: null,
  };
  const prefs = readJson(PREFS_KEY) || {};
  const savePrefs = () => writeJson(PREFS_KEY, prefs);

  function newer(old, fresh) {
    return !old || Number(fresh.ts_updated || 0) >= Number(old.ts_updated || 0);
  }

  function mergeOrder(order) {
    const old = state.orders.get(order.client_order_id);
    if (newer(old, order)) state.orders.set(order.client_order_id, order);
  }

  function mergePosition(position) {
    const old = state.positions.get(position.instrument_id);
    if (!newer(old, position)) return;
    // the stream's positions carry no mark: keep the last PnL only while the size is unchanged
    const keep = old && old.quantity === position.quantity && !("unrealized_pnl" in position);
    state.positions.set(position.instrument_id, {
      ...position,
      unrealized_pnl: "unrealized_pnl" in position ? position.unrealized_pnl
        : keep ? old.unrealized_pnl : undefined,
    });
  }

  let feedCount = 0;

  function addFeed(item) {
    if (item.key && state.feed.some((f) => f.key === item.key)) return;
    item.n = ++feedCount; // what arrived later goes first among equal times
    state.feed.push(item);
    state.feed.sort((a, b) => Number(b.ts || 0) - Number(a.ts || 0) || (b.n || 0) - (a.n || 0));
    state.feed.length = Math.min(state.feed.length, FEED_MAX);
  }

  const fillItem = (f) => ({
    key: `fill:${f.fill_id}`,
    kind: "fill",
    side: f.side,
    ts: f.ts_event,
    title: `${f.side === "buy" ? "Bought" : "Sold"} ${dec(f.quantity)} ${symbolOf(f.instrument_id)} @ ${dec(f.price)}`,
    detail: `fee ${dec(f.fee)} ${f.fee_currency} · ${f.liquidity}`,
  });

  const ENDED = new Set(["canceled", "rejected", "expired"]);

  const orderItem = (o) => ({
    key: `order:${o.client_order_id}:${o.status}`,
    kind: "order",
    ts: o.ts_updated,
    title: `${o.status[0].toUpperCase()}${o.status.slice(1)}: ${o.side} ${dec(o.quantity)} ${symbolOf(o.instrument_id)}`
      + (o.price ? ` @ ${dec(o.price)}` : ""),
    detail: o.reject_reason || (isZero(o.filled_qty) ? "" : `filled ${dec(o.filled_qty)}`),
  });

  const signalItem = (s) => ({
    key: `signal:${s.strategy_id}:${s.instrument_id}:${s.ts}`,
    kind: "signal",
    side: s.side,
    ts: s.ts,
    title: `${s.strategy_id}: ${String(s.side).toUpperCase()} ${symbolOf(s.instrument_id)} @ ${price(s.price)}`,
    detail: s.reason || "",
  });

  function alertItem(data, instrument) {
    const text = (data && (data.message || data.text || data.detail || data.title)) || "";
    const ts = (data && (data.ts_ns || data.ts || data.ts_event)) || null;
    return {
      key: ts ? `alert:${instrument || ""}:${ts}:${text}` : null,
      kind: "alert",
      ts: ts || Date.now() * 1e6,
      title: text || (typeof data === "string" ? data : "Alert"),
      detail: instrument ? symbolOf(instrument) : (data && data.name) || "",
    };
  }

  // ---- rendering -------------------------------------------------------------------------
  let renderQueued = false;
  let snapshotTimer = null;

  function render() {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(() => {
      renderQueued = false;
      renderPositions();
      renderOrders();
      renderQuotes();
      renderFeed();
      renderBalances();
      snapshotSoon();
    });
  }

  function clearRows(container) {
    for (const row of [...container.querySelectorAll(".row:not(.head)")]) row.remove();
  }

  function instrumentCell(iid) {
    const cell = el("span", "instrument");
    cell.append(el("b", null, symbolOf(iid)));
    const venue = venueOf(iid);
    if (venue) cell.append(el("small", "muted", venue));
    return cell;
  }

  function renderPositions() {
    const box = $("positions");
    clearRows(box);
    const open = [...state.positions.values()].filter((p) => !isZero(p.quantity))
      .sort((a, b) => a.instrument_id.localeCompare(b.instrument_id));
    for (const p of open) {
      const row = el("div", "row");
      row.dataset.instrument = p.instrument_id;
      const pnl = p.unrealized_pnl;
      const pnlCell = el("span", "num pnl", pnl === undefined ? "…" : dec(pnl));
      if (pnl && !isZero(pnl)) pnlCell.classList.add(isNegative(pnl) ? "down" : "up");
      row.append(instrumentCell(p.instrument_id),
        el("span", `num qty ${isNegative(p.quantity) ? "down" : "up"}`, dec(p.quantity)),
        el("span", "num avg", dec(p.avg_price)), pnlCell);
      box.append(row);
    }
    $("positions-empty").hidden = open.length > 0;
  }

  function renderOrders() {
    const box = $("orders");
    box.replaceChildren();
    const working = [...state.orders.values()].filter((o) => WORKING.has(o.status))
      .sort((a, b) => Number(b.ts_created) - Number(a.ts_created));
    const canTrade = creds && creds.scope !== "read";
    for (const o of working) {
      const row = el("div", "row order");
      row.dataset.order = o.client_order_id;
      const text = el("div", "order-text");
      const what = el("div", "order-what");
      what.append(el("span", `side ${o.side}`, o.side.toUpperCase()), " ",
        el("span", "order-qty", dec(o.quantity)), " ", el("b", null, symbolOf(o.instrument_id)));
      if (o.price !== null && o.price !== undefined) what.append(" @ ", el("b", "order-price", dec(o.price)));
      text.append(what, el("div", "muted small",
        `${o.type} · ${o.status.replace(/_/g, " ")} · filled ${dec(o.filled_qty)} of ${dec(o.quantity)}`));
      row.append(text);
      if (canTrade) {
        const cancel = el("button", "cancel", o.status === "pending_cancel" ? "Canceling…" : "Cancel");
        cancel.type = "button";
        cancel.disabled = o.status === "pending_cancel";
        cancel.setAttribute("aria-label", `Cancel ${o.side} ${dec(o.quantity)} ${symbolOf(o.instrument_id)}`);
        cancel.addEventListener("click", () => cancelOrder(o.client_order_id, cancel));
        row.append(cancel);
      }
      box.append(row);
    }
    $("orders-empty").hidden = working.length > 0;
  }

  function watchlist() {
    const chosen = Array.isArray(prefs.watchlist) ? prefs.watchlist
      : [...state.quotes.keys()].sort().slice(0, DEFAULT_WATCH);
    const held = [...state.positions.values()].filter((p) => !isZero(p.quantity))
      .map((p) => p.instrument_id);
    return [...new Set([...held, ...chosen])];
  }

  function renderQuotes() {
    const box = $("quotes");
    clearRows(box);
    const list = watchlist();
    for (const iid of list) {
      const q = state.quotes.get(iid) || {};
      const row = el("div", "row");
      row.dataset.instrument = iid;
      const name = instrumentCell(iid);
      if (Array.isArray(prefs.watchlist) && prefs.watchlist.includes(iid)) {
        const remove = el("button", "remove", "×");
        remove.type = "button";
        remove.setAttribute("aria-label", `Remove ${iid} from the watchlist`);
        remove.addEventListener("click", () => {
          prefs.watchlist = prefs.watchlist.filter((x) => x !== iid);
          savePrefs();
          render();
        });
        name.append(remove);
      }
      row.append(name, el("span", "num bid up", price(q.bid)), el("span", "num ask down", price(q.ask)));
      box.append(row);
    }
    $("quotes-empty").hidden = list.length > 0;
  }

  function renderFeed() {
    const box = $("feed");
    box.replaceChildren();
    for (const item of state.feed) {
      const li = el("li", `feed-item ${item.kind}`);
      const head = el("div", "feed-head");
      head.append(el("span", `tag ${item.kind} ${item.side || ""}`, item.kind), el("span", "feed-title", item.title));
      li.append(head);
      const meta = [timeOf(item.ts), item.detail].filter(Boolean).join(" · ");
      if (meta) li.append(el("div", "muted small", meta));
      box.append(li);
    }
    $("feed-empty").hidden = state.feed.length > 0;
  }

  function renderBalances() {
    const balances = (state.account && state.account.balances) || {};
    const home = state.account && state.account.currency;
    const shown = Object.entries(balances).filter(([, v]) => !isZero(v))
      .sort(([a], [b]) => (b === home) - (a === home)).slice(0, 3)
      .map(([k, v]) => `${dec(v)} ${k}`);
    $("balances").textContent = shown.join(" · ");
  }

  function snapshotSoon() {
    // what was last shown, for opening offline; written at most once a second
    if (snapshotTimer === null) snapshotTimer = setTimeout(saveSnapshot, 1_000);
  }

  function saveSnapshot() {
    clearTimeout(snapshotTimer);
    snapshotTimer = null;
    if (!creds) return;
    writeJson(SNAPSHOT_KEY, {
      saved_ms: Date.now(),
      positions: [...state.positions.values()],
      quotes: [...state.quotes.entries()],
      orders: [...state.orders.values()].filter((o) => WORKING.has(o.status)),
      feed: state.feed,
      account: state.account,
    });
  }

  function loadSnapshot() {
    const snap = readJson(SNAPSHOT_KEY);
    if (!snap) return null;
    for (const p of snap.positions || []) state.positions.set(p.instrument_id, p);
    for (const [k, q] of snap.quotes || []) state.quotes.set(k, q);
    for (const o of snap.orders || []) state.orders.set(o.client_order_id, o);
    state.feed = snap.feed || [];
    feedCount = Math.max(0, ...state.feed.map((f) => f.n || 0));
    state.account = snap.account || null;
    return snap.saved_ms;
  }

  // ---- REST ------------------------------------------------------------------------------
  let positionsTimer = null;

  function refreshPositionsSoon() {
    clearTimeout(positionsTimer);
    positionsTimer = setTimeout(() => {
      api("GET", "/positions").then((list) => {
        for (const p of list) mergePosition(p);
        render();
      }, reportError);
    }, 300);
  }

  async function refreshAll() {
    const [positions, quotes, orders, account, feed] = await Promise.allSettled([
      api("GET", "/positions"),
      api("GET", "/quotes"),
      api("GET", "/orders?status=working"),
      api("GET", "/account"),
      recentActivity(),
    ]);
    if (positions.status === "fulfilled") {
      const seen = new Set(positions.value.map((p) => p.instrument_id));
      for (const iid of [...state.positions.keys()]) if (!seen.has(iid)) state.positions.delete(iid);
      for (const p of positions.value) mergePosition(p);
    }
    if (quotes.status === "fulfilled") {
      for (const q of quotes.value) state.quotes.set(q.instrument_id, q);
    }
    if (orders.status === "fulfilled") {
      const working = new Set(orders.value.map((o) => o.client_order_id));
      for (const [id, o] of [...state.orders]) {
        if (!working.has(id) && WORKING.has(o.status)) state.orders.delete(id);
      }
      for (const o of orders.value) mergeOrder(o);
    }
    if (account.status === "fulfilled") state.account = account.value;
    if (feed.status === "fulfilled") for (const item of feed.value) addFeed(item);
    const failed = [positions, quotes, orders, account].find((r) => r.status === "rejected");
    if (failed) reportError(failed.reason);
    else $("stale").hidden = true;
    render();
  }

  function feedItem(channel, data, instrument) {
    if (channel === "fills") return fillItem(data);
    if (channel === "orders") return ENDED.has(data.status) ? orderItem(data) : null;
    if (channel === "signals") return signalItem(data);
    if (channel === "alerts") return alertItem(data, instrument);
    return null;
  }

  async function recentActivity() {
    // the device event log keeps fills, signals and alerts for days: read its last pages
    try {
      const head = (await api("GET", "/sync?since=0&limit=1")).head;
      let page = await api("GET", `/sync?since=${Math.max(0, head - FEED_SCAN)}&limit=${FEED_SCAN}`);
      if (page.resync) page = await api("GET", `/sync?since=${Math.max(0, page.oldest - 1)}&limit=${FEED_SCAN}`);
      return page.events.map((e) => feedItem(e.channel, e.data, e.instrument))
        .filter(Boolean);
    } catch (error) {
      if (error instanceof AuthLost || !(error instanceof ApiError)) throw error;
      // a terminal without the log: the fills and signals lists
      const [fills, signals] = await Promise.all([api("GET", "/fills?limit=1000"),
        api("GET", "/signals?limit=10")]);
      return [...fills.slice(-15).map(fillItem), ...signals.map(signalItem)];
    }
  }

  async function loadInstruments() {
    if (state.instruments) return;
    state.instruments = new Map();
    try {
      const list = await api("GET", "/instruments");
      const options = $("instrument-list");
      options.replaceChildren();
      for (const i of list) {
        state.instruments.set(i.id, i);
        if (i.trading) {
          const option = document.createElement("option");
          option.value = i.id;
          options.append(option);
        }
      }
    } catch (error) {
      state.instruments = null;
      reportError(error);
    }
  }

  // ---- the stream ------------------------------------------------------------------------
  let socket = null;
  let lastSeq = null;
  let backoff = BACKOFF_MIN_MS;
  let reconnectTimer = null;
  let streaming = false;

  function setLink(kind, text) {
    const pill = $("link");
    pill.dataset.state = kind;
    pill.textContent = text;
  }

  function connect() {
    clearTimeout(reconnectTimer);
    if (!creds || !streaming || socket) return;
    setLink("connecting", "connecting…");
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    let ws;
    try {
      ws = new WebSocket(`${scheme}//${location.host}${API}/stream`, ["tt.v1", `bearer.${creds.access_token}`]);
    } catch {
      reconnectLater();
      return;
    }
    socket = ws;
    let opened = false;
    ws.addEventListener("open", () => {
      opened = true;
      const subscribe = { op: "subscribe", channels: CHANNELS };
      if (lastSeq !== null) subscribe.resume_from = lastSeq;
      ws.send(JSON.stringify(subscribe));
    });
    ws.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      onMessage(message);
    });
    ws.addEventListener("close", (event) => {
      if (socket !== ws) return;
      socket = null;
      if (event.code === CLOSE_REVOKED) {
        lose("This device was unpaired in the terminal. Pair again with a new code.");
        return;
      }
      setLink("offline", "offline");
      if (!streaming) return;
      if (!opened) {
        // the handshake was refused (an expired token?): a REST call refreshes or re-pairs
        api("GET", "/account").then(() => reconnectLater(), (error) => {
          if (!(error instanceof AuthLost)) reconnectLater();
        });
        return;
      }
      reconnectLater(event.code === CLOSE_SLOW ? 0 : undefined);
    });
  }

  function reconnectLater(delay) {
    clearTimeout(reconnectTimer);
    if (!streaming) return;
    const wait = delay ?? backoff * (0.75 + Math.random() / 2);
    backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
    setLink("offline", "offline");
    reconnectTimer = setTimeout(connect, wait);
  }

  function onMessage(message) {
    if (message.type === "subscribed") {
      backoff = BACKOFF_MIN_MS;
      // a terminal that restarted counts from 0 again
      if (lastSeq === null || Number(message.head) < lastSeq) lastSeq = Number(message.head);
      setLink("live", "live");
      refreshAll().catch(reportError);
      return;
    }
    if (message.type === "heartbeat") return;
    if (message.type === "error") {
      toast(message.detail || "the stream refused the subscription");
      return;
    }
    if (typeof message.seq === "number") lastSeq = message.seq;
    const data = message.data;
    switch (message.channel) {
      case "quotes":
        if (message.instrument) state.quotes.set(message.instrument, { instrument_id: message.instrument, ...data });
        break;
      case "orders":
        mergeOrder(data);
        if (ENDED.has(data.status)) addFeed(orderItem(data));
        break;
      case "positions":
        mergePosition(data);
        refreshPositionsSoon();
        break;
      case "fills":
        addFeed(fillItem(data));
        refreshPositionsSoon();
        break;
      case "signals":
        addFeed(signalItem(data));
        break;
      case "alerts":
        addFeed(alertItem(data, message.instrument));
        break;
      case "account":
        state.account = data;
        break;
      default:
        return;
    }
    render();
  }

  // ---- actions ---------------------------------------------------------------------------
  let toastTimer = null;

  function toast(text, kind) {
    const box = $("toast");
    box.textContent = text;
    box.dataset.kind = kind || "info";
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { box.hidden = true; }, 4_000);
  }

  function reportError(error) {
    if (error instanceof AuthLost) return;
    if (error instanceof ApiError) {
      toast(error.message, "error");
      return;
    }
    // the terminal is unreachable: keep showing what we have
    const notice = $("stale");
    notice.textContent = "The terminal is not reachable; showing the last data received.";
    notice.hidden = false;
  }

  async function cancelOrder(id, button) {
    button.disabled = true;
    button.textContent = "Canceling…";
    try {
      mergeOrder(await api("DELETE", `/orders/${encodeURIComponent(id)}`));
      toast("Cancel sent");
    } catch (error) {
      button.disabled = false;
      button.textContent = "Cancel";
      reportError(error);
    }
    render();
  }

  function ticketValues() {
    const form = $("ticket");
    const data = new FormData(form);
    return {
      instrument_id: String(data.get("instrument_id") || "").trim().toUpperCase(),
      side: String(data.get("side") || "buy"),
      type: String(data.get("type") || "market"),
      quantity: String(data.get("quantity") || "").trim(),
      price: String(data.get("price") || "").trim(),
    };
  }

  function updateTicket() {
    const t = ticketValues();
    $("t-price-field").hidden = t.type !== "limit";
    $("t-price").required = t.type === "limit";
    const button = $("t-submit");
    button.classList.toggle("buy", t.side === "buy");
    button.classList.toggle("sell", t.side === "sell");
    const what = [t.side === "buy" ? "Buy" : "Sell", t.quantity, t.instrument_id ? symbolOf(t.instrument_id) : ""]
      .filter(Boolean).join(" ");
    button.textContent = t.type === "limit" && t.price ? `${what} @ ${t.price}` : `${what}${t.type === "market" ? " at market" : ""}`;
  }

  async function submitTicket(event) {
    event.preventDefault();
    const t = ticketValues();
    const error = $("ticket-error");
    error.hidden = true;
    const problem = !/^[A-Z0-9_.-]+:[A-Z0-9_.:/-]+$/.test(t.instrument_id) ? "Instrument: VENUE:SYMBOL, e.g. BINANCE:BTCUSDT"
      : !DECIMAL.test(t.quantity) || isZero(t.quantity) ? "Quantity: a positive number, e.g. 0.5"
        : t.type === "limit" && (!DECIMAL.test(t.price) || isZero(t.price)) ? "Limit price: a positive number"
          : null;
    if (problem) {
      error.textContent = problem;
      error.hidden = false;
      return;
    }
    const order = { instrument_id: t.instrument_id, side: t.side, type: t.type, quantity: t.quantity };
    if (t.type === "limit") order.price = t.price;
    if (crypto.randomUUID) order.client_order_id = crypto.randomUUID();
    const button = $("t-submit");
    button.disabled = true;
    try {
      const placed = await api("POST", "/orders", order);
      mergeOrder(placed);
      toast(`Order ${placed.status.replace(/_/g, " ")}: ${placed.side} ${dec(placed.quantity)} ${symbolOf(placed.instrument_id)}`);
      $("t-qty").value = "";
      $("t-price").value = "";
      updateTicket();
      render();
    } catch (err) {
      if (err instanceof ApiError) {
        error.textContent = err.problem.reason ? `${err.message} (${err.problem.reason})` : err.message;
        error.hidden = false;
      } else {
        reportError(err);
      }
    } finally {
      button.disabled = false;
    }
  }

  // ---- screens ---------------------------------------------------------------------------
  function showScreen(name) {
    $("pair-screen").hidden = name !== "pair";
    $("main-screen").hidden = name !== "main";
    $("menu-button").hidden = name !== "main";
    $("menu").hidden = true;
    document.body.dataset.screen = name;
  }

  function stopStream() {
    streaming = false;
    clearTimeout(reconnectTimer);
    if (socket) {
      const ws = socket;
      socket = null;
      ws.close(1000, "bye");
    }
  }

  function lose(reason) {
    // the first reason stands: later requests that fail for the same loss say less
    if (creds === null && document.body.dataset.screen === "pair") return;
    clearTimeout(refreshTimer);
    creds = null;
    writeJson(CREDS_KEY, null);
    writeJson(SNAPSHOT_KEY, null);
    stopStream();
    setLink("idle", "not paired");
    showPair(reason);
  }

  function fingerprintText(fp) {
    const hex = String(fp).replace(/[^0-9a-fA-F]/g, "").toUpperCase();
    return (hex.match(/.{1,2}/g) || []).join(":");
  }

  function guessPlatform() {
    const ua = navigator.userAgent || "";
    const hinted = navigator.userAgentData && navigator.userAgentData.platform;
    if (hinted) return hinted.slice(0, 32);
    if (/iPhone|iPad|iPod/.test(ua)) return "iOS";
    if (/Android/.test(ua)) return "Android";
    if (/Mac OS X/.test(ua)) return "macOS";
    if (/Windows/.test(ua)) return "Windows";
    if (/Linux/.test(ua)) return "Linux";
    return "web";
  }

  function defaultDeviceName() {
    const platform = guessPlatform();
    return prefs.device_name || (/(iOS|Android)/.test(platform) ? `${platform} phone` : `${platform} browser`);
  }

  function showPair(reason, offer) {
    showScreen("pair");
    $("pair-form").hidden = false;
    $("pair-done").hidden = true;
    const error = $("pair-error");
    error.textContent = reason || "";
    error.hidden = !reason;
    if (offer && offer.code) $("pair-code").value = offer.code;
    if (!$("device-name").value) $("device-name").value = defaultDeviceName();
    if (offer && offer.scopes) {
      $("pair-scopes").textContent = `This code lets the device ${offer.scopes.includes("trade") ? "see and trade" : "see (read only)"}.`;
      $("pair-scopes").hidden = false;
    }
    if (offer && offer.fp) {
      $("pair-fp-value").textContent = fingerprintText(offer.fp);
      $("pair-fp").hidden = false;
    }
    ($("pair-code").value ? $("device-name") : $("pair-code")).focus();
  }

  async function submitPair(event) {
    event.preventDefault();
    const code = $("pair-code").value.trim();
    const name = $("device-name").value.trim();
    const error = $("pair-error");
    error.hidden = true;
    if (!code || !name) return;
    if (!/^[\p{L}\p{N}_ .@:+-]+$/u.test(name)) {
      error.textContent = "Device name: letters, digits, spaces and _ . @ : + - only.";
      error.hidden = false;
      return;
    }
    const button = $("pair-submit");
    button.disabled = true;
    button.textContent = "Pairing…";
    try {
      const response = await fetch(`${API}/pairing/complete`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ code, device_name: name, platform: guessPlatform() }),
        cache: "no-store",
        credentials: "omit",
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        const wait = response.headers.get("Retry-After");
        throw new Error((body.detail || body.title || `pairing failed (HTTP ${response.status})`)
          + (wait ? ` Try again in ${wait} s.` : ""));
      }
      prefs.device_name = name;
      savePrefs();
      writeJson(SNAPSHOT_KEY, null);
      resetState();
      saveCreds(tokenFields(body, { device_name: name }));
      $("confirmation").textContent = body.confirmation || "—";
      $("pair-form").hidden = true;
      $("pair-done").hidden = false;
      $("pair-continue").focus();
    } catch (err) {
      error.textContent = err instanceof TypeError ? "The terminal is not reachable." : err.message;
      error.hidden = false;
    } finally {
      button.disabled = false;
      button.textContent = "Pair";
    }
  }

  function resetState() {
    state.positions.clear();
    state.quotes.clear();
    state.orders.clear();
    state.feed = [];
    state.account = null;
    lastSeq = null;
  }

  function showMain() {
    showScreen("main");
    const trade = creds.scope === "trade" || creds.scope === "admin";
    $("ticket-card").hidden = !trade;
    $("menu-device").textContent = `${creds.device_name || "This device"} · ${creds.scope} · ${creds.device_id || ""}`;
    updateTicket();
    render();
    streaming = true;
    backoff = BACKOFF_MIN_MS;
    connect();
  }

  // ---- start -----------------------------------------------------------------------------
  function readOffer() {
    const hash = location.hash.startsWith("#") ? location.hash.slice(1) : "";
    if (!hash) return null;
    const params = new URLSearchParams(hash);
    const code = params.get("pair");
    // keep the one-time code out of the address bar and the history
    history.replaceState(null, "", location.pathname + location.search);
    if (!code) return null;
    return { code, fp: params.get("fp") || "", scopes: (params.get("scopes") || "").split(",").filter(Boolean) };
  }

  function wire() {
    $("pair-form").addEventListener("submit", submitPair);
    $("pair-continue").addEventListener("click", showMain);
    $("ticket").addEventListener("submit", submitTicket);
    $("ticket").addEventListener("input", updateTicket);
    $("ticket").addEventListener("change", updateTicket);
    $("t-instrument").addEventListener("focus", loadInstruments);
    $("watch-add").addEventListener("focus", loadInstruments);
    $("watch-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const iid = $("watch-add").value.trim().toUpperCase();
      if (!iid.includes(":")) return;
      prefs.watchlist = [...new Set([...(Array.isArray(prefs.watchlist) ? prefs.watchlist : watchlist()), iid])];
      savePrefs();
      $("watch-add").value = "";
      render();
    });
    $("toast").addEventListener("click", () => { $("toast").hidden = true; });
    $("menu-button").addEventListener("click", () => {
      const menu = $("menu");
      menu.hidden = !menu.hidden;
      $("menu-button").setAttribute("aria-expanded", String(!menu.hidden));
    });
    $("forget").addEventListener("click", () => lose("This device was forgotten here; revoke it in the terminal's API panel too."));
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState !== "visible" || !creds || !streaming) return;
      freshEnough().catch(() => {});
      if (!socket) {
        backoff = BACKOFF_MIN_MS;
        connect();
      }
    });
    window.addEventListener("hashchange", () => {
      // a pairing link opened while the page is open: same document, new fragment
      const offer = readOffer();
      if (!offer) return;
      stopStream();
      showPair(creds ? "Pairing again replaces this browser's current pairing." : "", offer);
    });
    window.addEventListener("pagehide", () => {
      if (snapshotTimer !== null) saveSnapshot();
    });
    window.addEventListener("online", () => {
      if (creds && streaming && !socket) {
        backoff = BACKOFF_MIN_MS;
        connect();
      }
    });
    window.addEventListener("storage", (event) => {
      if (event.key !== CREDS_KEY) return;
      const stored = readJson(CREDS_KEY);
      if (!stored && creds) {
        lose("This device was forgotten in another window.");
      } else if (stored) {
        creds = stored;
        scheduleRefresh();
      }
    });
  }

  function start() {
    wire();
    const offer = readOffer();
    if (offer || !creds) {
      setLink("idle", "not paired");
      showPair(creds && offer ? "Pairing again replaces this browser's current pairing." : "", offer);
    } else {
      const saved = loadSnapshot();
      if (saved) {
        const notice = $("stale");
        notice.textContent = `Not connected yet: showing the data of ${new Date(saved).toLocaleTimeString()}.`;
        notice.hidden = false;
      }
      scheduleRefresh();
      showMain();
    }
    if ("serviceWorker" in navigator) {
      // installable and offline for the shell; refused on pages with a certificate warning
      navigator.serviceWorker.register("/companion/service-worker.js", { scope: "/companion" }).catch(() => {});
    }
  }

  start();
})();
