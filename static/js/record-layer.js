/*
 * L.GeoRecords: one layer of the case's records, drawn on one canvas from columns.
 *
 * Written for geo.mapview / geo.mapdata (the body's columns are described there).
 * Leaflet's own vector layers keep an object of some 2-3 kB per record and folium
 * styled them through a table with one entry per record: a case of 100,000 records
 * took half a minute to paint. Here a layer keeps typed arrays and redraws what is
 * in view after each move; panning moves the canvas, as Leaflet's own renderer does
 * (this extends L.Canvas for its placement and zoom animation).
 *
 * - The body is fetched once per address (its SHA-256 is in the address) and kept,
 *   prepared, by the page for every layer made from it: a filter change makes a new
 *   layer of the same body, and a remounted map finds it still there.
 * - The date filter is applied here, by the rule of geo.query.date_mask: a record is
 *   shown if its days overlap the range; an undated one always; a range that ends
 *   before it starts shows nothing dated.
 * - Nothing is dropped where records crowd: every record shown is drawn (a dot on a
 *   pixel already drawn by this layer is skipped, it would cover the same pixels),
 *   and every one can be hovered and picked (geo.picker lists them).
 * - Uncertainty circles keep their radius in metres at every zoom.
 * - Labels (escaped by the app) are fetched in chunks when the pointer is on a record.
 */
(function () {
  "use strict";
  var LABEL_CHUNK = 1000;
  // Kept bodies and label chunks: a few versions of every layer, a few hundred chunks.
  var KEEP_BODIES = 16, KEEP_CHUNKS = 200;
  // The map's frame is replaced when the map is remounted (another basemap, an image
  // shown): what was fetched is kept by the page around it, which stays.
  function home() {
    try {
      if (window.parent && window.parent !== window && window.parent.document) return window.parent;
    } catch (error) { /* another origin: keep to this frame */ }
    return window;
  }
  var kept = home();
  var bodies = (kept.__geoRecordBodies = kept.__geoRecordBodies || new Map());
  var chunks = (kept.__geoRecordLabels = kept.__geoRecordLabels || new Map());
  var fetching = {};
  function remember(cache, key, value, limit) {
    cache.delete(key);
    cache.set(key, value);
    while (cache.size > limit) cache.delete(cache.keys().next().value);
  }
  function fetchJson(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error("The map's records could not be fetched (" + response.status + "): reload the page.");
      return response.json();
    });
  }
  var DEG = Math.PI / 180;
  var MAX_LAT = 85.0511287798;
  var EARTH_CIRCUMFERENCE = 40075016.686;

  // Leaflet's EPSG:3857 at zoom 0 (256 px): map.project(latlng, 0), without an object
  function projectX(lon) { return 256 * (lon / 360 + 0.5); }
  function projectY(lat) {
    var s = Math.sin(Math.max(-MAX_LAT, Math.min(MAX_LAT, lat)) * DEG);
    return 256 * (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI));
  }

  function parts(geometry, out) {
    if (!geometry) return out;
    var c = geometry.coordinates;
    switch (geometry.type) {
      case "Point": out.push({ type: "point", rings: [ring([c])] }); break;
      case "MultiPoint": c.forEach(function (p) { out.push({ type: "point", rings: [ring([p])] }); }); break;
      case "LineString": out.push({ type: "line", rings: [ring(c)] }); break;
      case "MultiLineString": c.forEach(function (l) { out.push({ type: "line", rings: [ring(l)] }); }); break;
      case "Polygon": out.push({ type: "polygon", rings: c.map(ring) }); break;
      case "MultiPolygon": c.forEach(function (p) { out.push({ type: "polygon", rings: p.map(ring) }); }); break;
      case "GeometryCollection": geometry.geometries.forEach(function (g) { parts(g, out); }); break;
    }
    return out;
  }
  function ring(positions) {
    var r = new Float64Array(positions.length * 2);
    for (var i = 0; i < positions.length; i++) {
      r[2 * i] = projectX(positions[i][0]);
      r[2 * i + 1] = projectY(positions[i][1]);
    }
    return r;
  }

  function prepare(body) {
    var n = body.ids.length;
    var x = new Float64Array(n), y = new Float64Array(n);
    for (var i = 0; i < n; i++) { x[i] = projectX(body.lon[i]); y[i] = projectY(body.lat[i]); }
    var shapes = new Map();
    body.shapes.forEach(function (entry) {
      var ps = parts(entry[1], []);
      var box = [Infinity, Infinity, -Infinity, -Infinity];
      ps.forEach(function (p) {
        p.rings.forEach(function (r) {
          for (var k = 0; k < r.length; k += 2) {
            box[0] = Math.min(box[0], r[k]); box[1] = Math.min(box[1], r[k + 1]);
            box[2] = Math.max(box[2], r[k]); box[3] = Math.max(box[3], r[k + 1]);
          }
        });
      });
      shapes.set(entry[0], { parts: ps, box: box, filled: entry[2] !== false });
    });
    return { n: n, ids: body.ids, lon: body.lon, lat: body.lat, x: x, y: y,
             radius: body.radius, start: body.start, end: body.end, shapes: shapes,
             labels: body.labels || null };
  }

  // A layer's records, prepared once per address (the address holds their SHA-256).
  function load(url) {
    if (bodies.has(url)) {
      var data = bodies.get(url);
      remember(bodies, url, data, KEEP_BODIES);
      return Promise.resolve(data);
    }
    if (!fetching[url]) {
      fetching[url] = fetchJson(url).then(prepare).then(function (data) {
        remember(bodies, url, data, KEEP_BODIES);
        delete fetching[url];
        return data;
      }, function (error) { delete fetching[url]; throw error; });
    }
    return fetching[url];
  }
  function labelChunk(url) {
    if (chunks.has(url)) return Promise.resolve(chunks.get(url));
    if (!fetching[url]) {
      fetching[url] = fetchJson(url).then(function (labels) {
        remember(chunks, url, labels, KEEP_CHUNKS);
        delete fetching[url];
        return labels;
      }, function (error) { delete fetching[url]; throw error; });
    }
    return fetching[url];
  }

  // geo.query.date_mask, on days since 1970-01-01
  function shownMask(data, filter) {
    var mask = new Uint8Array(data.n);
    var from = filter.start, to = filter.end;
    var empty = from !== null && to !== null && to < from;
    for (var i = 0; i < data.n; i++) {
      var s = data.start[i];
      if (s === null) { mask[i] = 1; continue; }
      if (empty) continue;
      if (to !== null && s > to) continue;
      if (from !== null && data.end[i] < from) continue;
      mask[i] = 1;
    }
    return mask;
  }

  function segmentDistance(px, py, ax, ay, bx, by) {
    var dx = bx - ax, dy = by - ay, t = 0, len = dx * dx + dy * dy;
    if (len > 0) t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len));
    var qx = ax + t * dx - px, qy = ay + t * dy - py;
    return Math.sqrt(qx * qx + qy * qy);
  }
  function ringContains(r, s, ox, oy, px, py) {
    var inside = false;
    for (var i = 0, j = r.length - 2; i < r.length; j = i, i += 2) {
      var xi = r[i] * s - ox, yi = r[i + 1] * s - oy, xj = r[j] * s - ox, yj = r[j + 1] * s - oy;
      if ((yi > py) !== (yj > py) && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }

  L.GeoRecords = L.Canvas.extend({
    // style: colour, marker ("dot" or "circle"), radius (a dot's, px), dash, fillOpacity;
    // filter: {start, end} in days since 1970-01-01, null for an open end;
    // about: what the layer is ({title, kind, layer}), for whoever looks at the map.
    initialize: function (source, style, filter, about) {
      L.Canvas.prototype.initialize.call(this, { padding: 0.2 });
      this._source = source; // {url, labels} or {body} (a map saved as one file)
      this._style = style;
      this._filter = filter;
      this._data = null;
      this.about = about || {};
      this.recordLayer = true;
    },
    onAdd: function (map) {
      L.Canvas.prototype.onAdd.call(this, map);
      var self = this;
      var ready = this._source.body ? Promise.resolve(prepare(this._source.body)) : load(this._source.url);
      this._ready = ready.then(function (data) {
        self._data = data;
        self._mask = shownMask(data, self._filter);
        if (self._map) self._drawRecords();
        self.fire("recordsready");
      }, function (error) {
        self.error = String(error && error.message || error);
        if (window.console) console.error(self.error);
        self.fire("recordsfailed");
      });
    },
    // A promise, settled once the layer has its records (or could not fetch them).
    whenReady: function () { return this._ready || Promise.resolve(); },
    shownIds: function () {
      var ids = [];
      if (!this._data) return ids;
      for (var i = 0; i < this._data.n; i++) if (this._mask[i]) ids.push(this._data.ids[i]);
      return ids;
    },
    _draw: function () { this._drawRecords(); },
    _redraw: function () { this._drawRecords(); },
    _updatePaths: function () { if (!this._postponeUpdatePaths) this._drawRecords(); },
    shownCount: function () {
      if (!this._mask) return 0;
      var count = 0;
      for (var i = 0; i < this._mask.length; i++) count += this._mask[i];
      return count;
    },
    _view: function () {
      var map = this._map, origin = map.getPixelOrigin();
      return { s: Math.pow(2, map.getZoom()), ox: origin.x, oy: origin.y };
    },
    _radiusPx: function (i, s) {
      var r = this._data.radius ? this._data.radius[i] : null;
      if (r === null || r === undefined) return null;
      var metresPerPx = (EARTH_CIRCUMFERENCE * Math.cos(this._data.lat[i] * DEG)) / (256 * s);
      return r / metresPerPx;
    },
    _drawRecords: function () {
      var ctx = this._ctx, data = this._data;
      if (!ctx || !this._map || !this._bounds) return;
      var b = this._bounds;
      ctx.save();
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, this._container.width, this._container.height);
      ctx.restore();
      if (!data) return;
      var v = this._view(), style = this._style, mask = this._mask;
      var minX = b.min.x, minY = b.min.y, maxX = b.max.x, maxY = b.max.y;
      ctx.save();
      // lines and areas first, then the dots and circles over them
      ctx.lineWidth = 2;
      ctx.strokeStyle = style.colour;
      ctx.fillStyle = style.colour;
      var self = this;
      data.shapes.forEach(function (shape, index) {
        if (!mask[index]) return;
        var box = shape.box;
        if (box[2] * v.s - v.ox < minX || box[0] * v.s - v.ox > maxX ||
            box[3] * v.s - v.oy < minY || box[1] * v.s - v.oy > maxY) return;
        self._drawShape(ctx, shape, v);
      });
      var circles = style.marker === "circle";
      var dot = style.radius || 5;
      // a pixel grid per layer: a dot on a pixel already drawn would add nothing
      var w = Math.ceil(maxX - minX) + 1, h = Math.ceil(maxY - minY) + 1;
      var drawn = new Uint8Array(w * h);
      var dots = new Path2D(), rings = new Path2D();
      for (var i = 0; i < data.n; i++) {
        if (!mask[i] || data.shapes.has(i)) continue;
        var x = data.x[i] * v.s - v.ox, y = data.y[i] * v.s - v.oy;
        var r = circles ? this._radiusPx(i, v.s) : null;
        var reach = r === null ? dot : r;
        if (x + reach < minX || x - reach > maxX || y + reach < minY || y - reach > maxY) continue;
        if (r !== null && r >= 3) {
          rings.moveTo(x + r, y);
          rings.arc(x, y, r, 0, 2 * Math.PI);
          continue;
        }
        var cell = Math.round(y - minY) * w + Math.round(x - minX);
        if (cell >= 0 && cell < drawn.length) {
          if (drawn[cell]) continue;
          drawn[cell] = 1;
        }
        var d = r === null ? dot : 3;
        dots.moveTo(x + d, y);
        dots.arc(x, y, d, 0, 2 * Math.PI);
      }
      if (circles) {
        ctx.globalAlpha = style.fillOpacity || 0;
        if (ctx.globalAlpha > 0) ctx.fill(rings);
        ctx.globalAlpha = 1;
        ctx.setLineDash(style.dash ? style.dash.split(" ").map(Number) : []);
        ctx.lineWidth = 2;
        ctx.stroke(rings);
        ctx.setLineDash([]);
      }
      ctx.globalAlpha = circles ? 0.9 : 0.95;
      ctx.fill(dots);
      ctx.globalAlpha = 1;
      if (!circles) {
        ctx.strokeStyle = "#ffffff";
        ctx.lineWidth = 1.5;
        ctx.stroke(dots);
      }
      ctx.restore();
    },
    _drawShape: function (ctx, shape, v) {
      var style = this._style;
      shape.parts.forEach(function (part) {
        var path = new Path2D();
        part.rings.forEach(function (r) {
          if (part.type === "point") {
            var px = r[0] * v.s - v.ox, py = r[1] * v.s - v.oy;
            path.moveTo(px + (style.radius || 5), py);
            path.arc(px, py, style.radius || 5, 0, 2 * Math.PI);
            return;
          }
          for (var k = 0; k < r.length; k += 2) {
            var x = r[k] * v.s - v.ox, y = r[k + 1] * v.s - v.oy;
            if (k === 0) path.moveTo(x, y); else path.lineTo(x, y);
          }
          if (part.type === "polygon") path.closePath();
        });
        if (part.type === "polygon" && shape.filled) {
          ctx.globalAlpha = 0.2;
          ctx.fill(path, "evenodd");
          ctx.globalAlpha = 1;
        }
        if (part.type === "point") ctx.fill(path);
        ctx.stroke(path);
      });
    },
    // Every shown record under `point` (a layer point), as [index, tier, key]: tier 0
    // for dots and lines (key: distance), 1 for areas and circles (key: their size).
    recordHits: function (point, tolerance) {
      var data = this._data, hits = [];
      if (!data || !this._map) return hits;
      var v = this._view(), mask = this._mask, circles = this._style.marker === "circle";
      var dot = this._style.radius || 5;
      for (var i = 0; i < data.n; i++) {
        if (!mask[i] || data.shapes.has(i)) continue;
        var dx = data.x[i] * v.s - v.ox - point.x;
        if (dx > 400 || dx < -400) {
          // the largest circle is checked below; far dots are not hits
          if (!circles) continue;
        }
        var dy = data.y[i] * v.s - v.oy - point.y;
        var d = Math.sqrt(dx * dx + dy * dy);
        var r = circles ? this._radiusPx(i, v.s) : null;
        if (r !== null && r >= 3) {
          if (d <= r + tolerance) hits.push([i, 1, Math.PI * r * r]);
        } else if (d <= (r === null ? dot : 3) + tolerance) {
          hits.push([i, 0, d]);
        }
      }
      var self = this;
      data.shapes.forEach(function (shape, index) {
        if (!mask[index]) return;
        var found = self._shapeHit(shape, point, tolerance, v);
        if (found) hits.push([index, found[0], found[1]]);
      });
      return hits;
    },
    _shapeHit: function (shape, point, tolerance, v) {
      var box = shape.box;
      if (box[2] * v.s - v.ox < point.x - tolerance || box[0] * v.s - v.ox > point.x + tolerance ||
          box[3] * v.s - v.oy < point.y - tolerance || box[1] * v.s - v.oy > point.y + tolerance) return null;
      var best = null;
      shape.parts.forEach(function (part) {
        if (part.type === "polygon") {
          var inside = false;
          part.rings.forEach(function (r) { if (ringContains(r, v.s, v.ox, v.oy, point.x, point.y)) inside = !inside; });
          if (inside) {
            var area = (box[2] - box[0]) * v.s * (box[3] - box[1]) * v.s;
            if (!best || best[0] === 1 && area < best[1]) best = [1, area];
            return;
          }
        }
        part.rings.forEach(function (r) {
          var d = Infinity;
          if (r.length === 2) {
            d = Math.hypot(r[0] * v.s - v.ox - point.x, r[1] * v.s - v.oy - point.y);
          }
          for (var k = 2; k < r.length; k += 2) {
            d = Math.min(d, segmentDistance(point.x, point.y, r[k - 2] * v.s - v.ox, r[k - 1] * v.s - v.oy, r[k] * v.s - v.ox, r[k + 1] * v.s - v.oy));
          }
          if (d <= tolerance && (!best || best[0] === 1 || d < best[1])) best = [0, d];
        });
      });
      return best;
    },
    // The record as streamlit-folium reports a clicked layer: a GeoJSON Feature with its id.
    recordFeature: function (index) {
      var data = this._data;
      return { type: "Feature", geometry: { type: "Point", coordinates: [data.lon[index], data.lat[index]] },
               properties: { id: data.ids[index] } };
    },
    recordLabel: function (index) {
      var data = this._data;
      if (data.labels) return Promise.resolve(data.labels[index]);
      var chunk = Math.floor(index / LABEL_CHUNK);
      return labelChunk(this._source.labels + "/" + chunk + ".json").then(function (labels) {
        return labels[index - chunk * LABEL_CHUNK];
      });
    }
  });
  L.geoRecords = function (source, style, filter, about) {
    return new L.GeoRecords(source, style, filter, about);
  };
})();
