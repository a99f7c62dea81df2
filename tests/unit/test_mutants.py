from alertdrill.check.mutants import config_mutants, expr_mutants


def test_expression_mutants_edit_the_syntax_tree() -> None:
    got = dict(expr_mutants('rate(http_requests_total{status=~"5..", path="/a[5m]"}[5m]) > 0.01'))
    assert got["threshold 0.01 -> 0.02"].endswith("> 0.02")
    assert got["comparison > -> <"].endswith("< 0.01")
    assert 'status=~"5..x"' in got['matcher status=~"5.." value changed']
    assert 'status!~"5.."' in got['matcher status=~"5.." negated']
    assert "http_requests_total_mutant" in got["metric http_requests_total renamed"]
    assert all('path="/a[5m]"' in e for d, e in got.items() if "path" not in d)  # a range-like string is data


def test_regex_alternatives_are_dropped_one_at_a_time() -> None:
    got = dict(expr_mutants('up{job=~"bff|workers|nats"} == 0'))
    assert 'job=~"workers|nats"' in got["matcher job=~\"bff|workers|nats\" without 'bff'"]
    assert got["threshold 0 -> 1"].endswith("== 1")


def test_config_mutants_cover_routes_and_receivers() -> None:
    doc = {
        "route": {
            "receiver": "a",
            "routes": [
                {"matchers": ['severity="critical"'], "receiver": "b", "continue": True},
                {"matchers": ['severity="medium"'], "receiver": "c", "group_wait": "4h"},
            ],
        },
        "receivers": [{"name": "a"}, {"name": "b", "email_configs": [{"to": "x"}]}, {"name": "c"}],
    }
    kinds = {m.description for m in config_mutants(doc)}
    assert {
        "child routes in reverse order",
        "continue removed",
        "group_wait 4h -> 30s",
        "group_wait inherited -> 4h",
        'matcher severity="critical" value changed',
        "receiver b -> a",
        "email_configs[0] send_resolved off",
    } <= kinds
