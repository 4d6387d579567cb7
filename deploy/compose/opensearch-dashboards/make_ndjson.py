#!/usr/bin/env python3
"""Writes peregrine.ndjson: the OpenSearch Dashboards saved objects of the compose stack.

    python3 deploy/compose/opensearch-dashboards/make_ndjson.py          # rewrite peregrine.ndjson
    python3 deploy/compose/opensearch-dashboards/make_ndjson.py --check  # exit 1 when the file is stale

Saved objects embed JSON inside JSON strings (visState, searchSourceJSON, panelsJSON), which is unreadable and
easy to break by hand; this script is the source and the .ndjson its output (tests/stack/check_provisioning.py
runs --check). Format: OpenSearch Dashboards 2.x saved objects (the Kibana 7.10 layout, with references instead
of ids inside the JSON strings), imported by import.sh through POST /api/saved_objects/_import?overwrite=true.
"""
import json
import pathlib
import sys

INDEX_PATTERN_ID = "peregrine-alerts"
INDEX_PATTERN = "peregrine-*"
TIME_FIELD = "@timestamp"
INDEX_REF = "kibanaSavedObjectMeta.searchSourceJSON.index"


def search_source(query=""):
    return json.dumps({"query": {"query": query, "language": "kuery"}, "filter": [], "indexRefName": INDEX_REF},
                      separators=(",", ":"))


def count_metric():
    return {"id": "1", "enabled": True, "type": "count", "schema": "metric", "params": {}}


def terms(agg_id, field, size, schema):
    return {"id": agg_id, "enabled": True, "type": "terms", "schema": schema,
            "params": {"field": field, "orderBy": "1", "order": "desc", "size": size, "otherBucket": False,
                       "otherBucketLabel": "Other", "missingBucket": False, "missingBucketLabel": "Missing"}}


def visualization(vis_id, title, vis_state):
    vis_state = dict(vis_state, title=title)
    return {
        "id": vis_id, "type": "visualization",
        "attributes": {
            "title": title, "description": "", "version": 1, "uiStateJSON": "{}",
            "visState": json.dumps(vis_state, separators=(",", ":")),
            "kibanaSavedObjectMeta": {"searchSourceJSON": search_source()},
        },
        "references": [{"name": INDEX_REF, "type": "index-pattern", "id": INDEX_PATTERN_ID}],
        "migrationVersion": {"visualization": "7.10.0"},
    }


def alerts_over_time():
    params = {
        "type": "histogram", "grid": {"categoryLines": False},
        "categoryAxes": [{"id": "CategoryAxis-1", "type": "category", "position": "bottom", "show": True, "style": {},
                          "scale": {"type": "linear"}, "labels": {"show": True, "filter": True, "truncate": 100},
                          "title": {}}],
        "valueAxes": [{"id": "ValueAxis-1", "name": "LeftAxis-1", "type": "value", "position": "left", "show": True,
                       "style": {}, "scale": {"type": "linear", "mode": "normal"},
                       "labels": {"show": True, "rotate": 0, "filter": False, "truncate": 100},
                       "title": {"text": "Alerts"}}],
        "seriesParams": [{"show": True, "type": "histogram", "mode": "stacked", "data": {"label": "Alerts", "id": "1"},
                          "valueAxis": "ValueAxis-1", "drawLinesBetweenPoints": True, "lineWidth": 2,
                          "showCircles": True}],
        "addTooltip": True, "addLegend": True, "legendPosition": "right", "times": [], "addTimeMarker": False,
        "labels": {"show": False},
        "thresholdLine": {"show": False, "value": 10, "width": 1, "style": "full", "color": "#E7664C"},
    }
    date_histogram = {"id": "2", "enabled": True, "type": "date_histogram", "schema": "segment",
                      "params": {"field": TIME_FIELD, "useNormalizedOpenSearchInterval": True,
                                 "scaleMetricValues": False, "interval": "auto", "drop_partials": False,
                                 "min_doc_count": 1, "extended_bounds": {}}}
    return visualization("peregrine-alerts-over-time", "Peregrine: alerts over time by priority",
                         {"type": "histogram", "params": params,
                          "aggs": [count_metric(), date_histogram, terms("3", "priority", 8, "group")]})


def top_table(vis_id, title, field):
    params = {"perPage": 10, "showPartialRows": False, "showMetricsAtAllLevels": False, "showTotal": False,
              "totalFunc": "sum", "percentageCol": ""}
    return visualization(vis_id, title,
                         {"type": "table", "params": params, "aggs": [count_metric(), terms("2", field, 10, "bucket")]})


LATEST_COLUMNS = ["priority", "rule", "hostname", "output_fields.container_name", "output_fields.proc_name", "output"]


def latest_alerts():
    return {
        "id": "peregrine-latest-alerts", "type": "search",
        "attributes": {
            "title": "Peregrine: latest alerts", "description": "", "hits": 0, "version": 1,
            "columns": LATEST_COLUMNS, "sort": [[TIME_FIELD, "desc"]],
            "kibanaSavedObjectMeta": {"searchSourceJSON": search_source()},
        },
        "references": [{"name": INDEX_REF, "type": "index-pattern", "id": INDEX_PATTERN_ID}],
        "migrationVersion": {"search": "7.9.3"},
    }


def dashboard(panels):
    """panels: [(saved object, x, y, w, h)] on the 48-column grid."""
    panels_json, refs = [], []
    for i, (obj, x, y, w, h) in enumerate(panels):
        ref = f"panel_{i}"
        panels_json.append({"version": "2.19.6", "gridData": {"x": x, "y": y, "w": w, "h": h, "i": str(i + 1)},
                            "panelIndex": str(i + 1), "embeddableConfig": {}, "panelRefName": ref})
        refs.append({"name": ref, "type": obj["type"], "id": obj["id"]})
    return {
        "id": "peregrine-dashboard", "type": "dashboard",
        "attributes": {
            "title": "Peregrine", "description": "Peregrine runtime-security alerts (router output opensearch)",
            "hits": 0, "version": 1, "timeRestore": True, "timeFrom": "now-24h", "timeTo": "now",
            "refreshInterval": {"pause": False, "value": 30000},
            "optionsJSON": json.dumps({"hidePanelTitles": False, "useMargins": True}, separators=(",", ":")),
            "panelsJSON": json.dumps(panels_json, separators=(",", ":")),
            "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(
                {"query": {"query": "", "language": "kuery"}, "filter": []}, separators=(",", ":"))},
        },
        "references": refs,
        "migrationVersion": {"dashboard": "7.9.3"},
    }


def objects():
    index_pattern = {
        "id": INDEX_PATTERN_ID, "type": "index-pattern",
        "attributes": {"title": INDEX_PATTERN, "timeFieldName": TIME_FIELD},
        "references": [], "migrationVersion": {"index-pattern": "7.6.0"},
    }
    over_time = alerts_over_time()
    rules = top_table("peregrine-top-rules", "Peregrine: top rules", "rule")
    hosts = top_table("peregrine-top-hosts", "Peregrine: top hosts", "hostname")
    containers = top_table("peregrine-top-containers", "Peregrine: top containers", "output_fields.container_name")
    latest = latest_alerts()
    board = dashboard([(over_time, 0, 0, 48, 14), (rules, 0, 14, 16, 14), (hosts, 16, 14, 16, 14),
                       (containers, 32, 14, 16, 14), (latest, 0, 28, 48, 20)])
    return [index_pattern, over_time, rules, hosts, containers, latest, board]


def render():
    return "".join(json.dumps(o, sort_keys=True, separators=(",", ":")) + "\n" for o in objects())


def main():
    path = pathlib.Path(__file__).with_name("peregrine.ndjson")
    text = render()
    if "--check" in sys.argv[1:]:
        if not path.exists() or path.read_text() != text:
            print(f"{path} is stale: run python3 {pathlib.Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    path.write_text(text)
    print(f"wrote {path} ({len(text.splitlines())} objects)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
