/* The portal's service worker: serves an offline page when a page cannot load, and keeps the
   static files (stylesheet, scripts, icons) in a cache. It caches nothing else: never a page's
   HTML, never a /billing or /accounts answer, so no personal data stays on the device.

   The /sw.js view puts the configuration before this file:
   self.PORTAL_SW = {version, offline, staticUrl, precache: [...]} */
"use strict";

const CONFIG = self.PORTAL_SW;
const PREFIX = "portal-";
const CACHE = PREFIX + CONFIG.version;
// Fingerprinted names (portal.3f9a1c2b7d4e.css) never change content: no need to ask the network.
const FINGERPRINTED = /\.[0-9a-f]{12}\.[a-z0-9]+$/;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll([CONFIG.offline, ...CONFIG.precache]))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(
          keys.filter((key) => key.startsWith(PREFIX) && key !== CACHE).map((key) => caches.delete(key))
        )
      )
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;

  if (request.mode === "navigate") {
    // Pages always come from the network; only when that fails, the offline page.
    event.respondWith(
      fetch(request).catch(() =>
        caches.match(CONFIG.offline, { ignoreVary: true }).then((page) => page || Response.error())
      )
    );
    return;
  }
  if (url.pathname.startsWith(CONFIG.staticUrl) && !url.search) {
    event.respondWith(staticFile(request, event));
  }
});

function staticFile(request, event) {
  return caches.open(CACHE).then((cache) =>
    cache.match(request).then((cached) => {
      if (cached && FINGERPRINTED.test(new URL(request.url).pathname)) return cached;
      const fresh = fetch(request).then((response) => {
        if (!response.ok || response.type !== "basic") return response;
        return cache.put(request, response.clone()).then(() => response);
      });
      if (!cached) return fresh;
      // An unversioned name (DEBUG): answer from the cache, refresh the cache for next time.
      event.waitUntil(fresh.catch(() => undefined));
      return cached;
    })
  );
}
