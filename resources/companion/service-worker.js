// The companion's service worker: keeps the app shell (page, script, styles, icons) so the
// client opens offline and can be installed. API calls and the stream are never cached or
// answered here: they always go to the network.
"use strict";

const CACHE = "tt-companion-v1";
const SHELL = [
  "/companion",
  "/companion/app.js",
  "/companion/style.css",
  "/companion/manifest.webmanifest",
  "/companion/icon-180.png",
  "/companion/icon-192.png",
  "/companion/icon-512.png",
  "/companion/icon-maskable-512.png",
];
const NETWORK_WAIT_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("tt-companion-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

function shellKey(url) {
  // the page answers at /companion and /companion/; the fragment never reaches here
  return url.pathname === "/companion/" ? "/companion" : url.pathname;
}

async function networkFirst(request, key) {
  const cache = await caches.open(CACHE);
  try {
    const response = await Promise.race([
      fetch(request, { cache: "no-cache" }),
      new Promise((_, reject) => setTimeout(() => reject(new Error("slow network")), NETWORK_WAIT_MS)),
    ]);
    if (response.ok) await cache.put(key, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(key);
    if (cached) return cached;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname !== "/companion" && !url.pathname.startsWith("/companion/")) return; // the API
  event.respondWith(networkFirst(request, shellKey(url)));
});
