// Place an order through the terminal's local API and watch it fill on the live stream.
// Node 18+ (its built-in fetch) and the `ws` package (npm install ws): a browser's
// WebSocket cannot send the Authorization header the stream needs.
//
//   export TT_API_TOKEN=tt_...     # trading-terminal token create --name demo --scope trade
//   node docs/examples/place_order_and_watch.mjs [INSTRUMENT] [buy|sell] [QUANTITY]
//
// The server: $TT_API_URL, else the url in $TT_DATA_DIR/api.json, else
// http://127.0.0.1:8765. The stream is subscribed before the order is sent; after a
// disconnect (a dropped connection, the 4008 slow-consumer close) it resubscribes with
// resume_from = the last seq seen, so no event is lost.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import WebSocket from "ws";

const token = process.env.TT_API_TOKEN;
if (!token) {
  console.error("set TT_API_TOKEN (trading-terminal token create --name demo --scope trade)");
  process.exit(2);
}
const [instrument = "BINANCE:NKNUSDT", side = "buy", quantity = "100"] = process.argv.slice(2);
const base = process.env.TT_API_URL ?? (process.env.TT_DATA_DIR
  ? JSON.parse(readFileSync(join(process.env.TT_DATA_DIR, "api.json"), "utf8")).url
  : "http://127.0.0.1:8765");
const headers = { Authorization: `Bearer ${token}` };
const DONE = new Set(["filled", "canceled", "rejected", "expired"]);

class ApiError extends Error {
  constructor(problem) {
    super(`${problem.status} ${problem.type}: ${problem.detail ?? problem.title}`);
    this.problem = problem; // type, title, status, detail, and extras such as reason
  }
}

async function api(method, path, body) {
  const response = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: body === undefined ? headers : { ...headers, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return null;
  const payload = await response.json();
  if (!response.ok) throw new ApiError(payload); // application/problem+json
  return payload;
}

// A stream that resubscribes from the last seq it saw; onMessage gets every parsed message.
function openStream(subscription, onMessage) {
  let lastSeq = null;
  let closing = false;
  let socket;
  const connect = () => {
    socket = new WebSocket(`${base.replace(/^http/, "ws")}/api/v1/stream`, { headers });
    socket.on("open", () => {
      const request = { op: "subscribe", ...subscription };
      if (lastSeq !== null) request.resume_from = lastSeq;
      socket.send(JSON.stringify(request));
    });
    socket.on("message", (raw) => {
      const message = JSON.parse(raw.toString());
      if (message.type === "subscribed" && lastSeq === null) lastSeq = message.head;
      if (typeof message.seq === "number") {
        if (message.seq <= lastSeq) return; // already seen before a reconnect
        lastSeq = message.seq;
      }
      onMessage(message);
    });
    socket.on("unexpected-response", (_request, response) => {
      console.error(`the stream was refused: HTTP ${response.statusCode}`);
      closing = true;
      process.exitCode = 1;
    });
    socket.on("close", (code, reason) => {
      if (closing) return;
      if (code === 4400 || code === 1008) {
        console.error(`the stream refused the subscription: ${reason}`);
        process.exitCode = 1;
        return;
      }
      console.log(`(stream closed with ${code}; resuming from ${lastSeq})`);
      setTimeout(connect, code === 4008 ? 0 : 500);
    });
    socket.on("error", () => {}); // a close follows every error
  };
  connect();
  return { close: () => { closing = true; socket.close(); } };
}

const book = await api("GET", `/book/${instrument}?depth=1`);
console.log(`${instrument}: bid ${JSON.stringify(book.bids[0])} ask ${JSON.stringify(book.asks[0])}`);

let order = null;
const early = []; // events that arrive before the order's answer names its id
const show = (message) => {
  const data = message.data;
  if (data.client_order_id !== order.client_order_id) return;
  if (message.channel === "fills") {
    console.log(`  #${message.seq} fill ${data.side} ${data.quantity} @ ${data.price} ` +
                `(fee ${data.fee} ${data.fee_currency})`);
  } else {
    console.log(`  #${message.seq} order ${data.status}, filled ${data.filled_qty}`);
    if (DONE.has(data.status)) {
      console.log(`${order.client_order_id} is ${data.status}`);
      stream.close();
    }
  }
};
let subscribed;
const ready = new Promise((resolve) => { subscribed = resolve; });
const stream = openStream({ channels: ["orders", "fills"], instruments: [instrument] },
  (message) => {
    if (message.type === "subscribed") subscribed();
    if (message.seq === undefined) return; // subscribed notices and heartbeats
    if (order === null) early.push(message); else show(message);
  });
await ready;
setTimeout(() => {
  console.error("no final order status within 30 s");
  process.exit(1);
}, 30_000).unref();
try {
  order = await api("POST", "/orders", { instrument_id: instrument, side, type: "market", quantity });
} catch (error) {
  if (error instanceof ApiError && error.problem.type === "/api/v1/problems/risk-rejected") {
    console.error(`refused by the risk engine (${error.problem.reason}): ${error.problem.detail}`);
  } else if (error instanceof ApiError && error.problem.status === 429) {
    console.error(`rate limited: ${error.problem.detail}`);
  } else {
    console.error(String(error));
  }
  stream.close();
  process.exit(1);
}
console.log(`placed ${order.client_order_id}: ${order.status}`);
early.splice(0).forEach(show);
