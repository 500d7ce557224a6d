// The kiosk's service worker (kiosk/main/shell.py renders it): the shell and one offline page per
// scan station, kept in the tablet's cache. It handles GET only: a page the network cannot bring
// is answered with its station's offline page, a shell file from the cache; anything else goes to
// the network untouched (scans, forms, polls: never from a cache).
"use strict";
const CACHE = "kiosk-shell-{{ version }}";
const SHELL = {{ shell|tojson }};
const PAGES = {{ pages|tojson }};
const GENERIC = {{ generic|tojson }};

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE)
    .then((cache) => cache.addAll([...SHELL, ...Object.values(PAGES), GENERIC]))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((key) => key.startsWith("kiosk-shell-") && key !== CACHE)
      .map((key) => caches.delete(key))))
    .then(() => self.clients.claim()));
});

function offlinePageFor(path) {
  let best = null;
  for (const station of Object.keys(PAGES)) {
    if ((path === station || path.startsWith(station)) && (!best || station.length > best.length)) best = station;
  }
  return best ? PAGES[best] : GENERIC;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => caches.open(CACHE)
      .then((cache) => cache.match(offlinePageFor(url.pathname)).then((page) => page || cache.match(GENERIC)))));
    return;
  }
  if (SHELL.includes(url.pathname + url.search)) {
    event.respondWith(caches.open(CACHE).then((cache) => cache.match(request)
      .then((kept) => kept || fetch(request))));
  }
});
