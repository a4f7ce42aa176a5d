"""The compatibility corpus against `buf breaking` (the external oracle) and against Spoke's checker.

For every pair of tests/compat/corpus/NNN-name/{before,after}:
  - buf's verdict in the WIRE and WIRE_JSON categories must be the one meta.json expects, for the
    rules meta.json names (this checks the corpus itself);
  - Spoke's BACKWARD verdict must equal buf's (WIRE: any error; WIRE_JSON: any error or warning),
    unless docs/compatibility.md lists the pair under "## Divergences from buf".
Without a checker binary (SPOKE_COMPAT_BIN), only the Spoke comparison is skipped."""

import json
import shutil
import subprocess

import pytest

import oracle

PAIR_IDS = oracle.corpus_pair_ids()
MIN_PAIRS = 80
META_KEYS = {"rules", "category_expectations", "description"}
OPTIONAL_META_KEYS = {"confluent_backward"}


def rule_categories(rule, category_rules):
    return [c for c in oracle.CATEGORIES if rule in category_rules[c]]


# ----------------------------------------------------------------------------- the corpus itself


def test_corpus_is_large_enough():
    assert len(PAIR_IDS) >= MIN_PAIRS, f"{len(PAIR_IDS)} pairs in {oracle.CORPUS_DIR}, want >= {MIN_PAIRS}"


@pytest.mark.parametrize("pair_id", PAIR_IDS)
def test_pair_is_well_formed(pair_id, rule_catalogue):
    assert oracle.PAIR_ID.match(pair_id), f"{pair_id}: name must be NNN-lowercase-words"
    pair = oracle.load_pair(pair_id)
    meta = pair.meta
    assert META_KEYS <= meta.keys() <= META_KEYS | OPTIONAL_META_KEYS, f"meta.json keys: {sorted(meta)}"
    assert isinstance(meta["description"], str) and meta["description"].strip()
    expectations = meta["category_expectations"]
    assert set(expectations) == set(oracle.CATEGORIES), f"category_expectations: {expectations}"
    assert set(expectations.values()) <= {oracle.BREAKING, oracle.COMPATIBLE}, expectations
    assert meta.get("confluent_backward", "compatible") in ("compatible", "incompatible")
    rules = meta["rules"]
    assert isinstance(rules, list) and len(rules) == len(set(rules)), f"rules: {rules}"
    unknown = [r for r in rules if r not in rule_catalogue]
    assert not unknown, f"not buf breaking rule IDs: {unknown}"
    if oracle.BREAKING in expectations.values():
        assert rules, "a breaking pair must name the rules it breaks"
    for side in (pair.before, pair.after):
        assert oracle.proto_files(side), f"no .proto files under {side}"


@pytest.mark.parametrize("pair_id", PAIR_IDS)
def test_pair_compiles_with_protoc(pair_id, tmp_path):
    """Spoke compiles with libprotoc (3.21 on Debian 12), which is stricter in places than buf's
    compiler and has no editions: every side must compile with protoc too."""
    protoc = shutil.which("protoc")
    if protoc is None:
        pytest.skip("no protoc on PATH (scripts/install-deps.sh installs protobuf-compiler)")
    pair = oracle.load_pair(pair_id)
    for side in (pair.before, pair.after):
        proc = subprocess.run(
            [protoc, f"-I{side}", f"--descriptor_set_out={tmp_path / 'set.binpb'}",
             *oracle.proto_files(side)],
            capture_output=True, text=True, timeout=oracle.COMMAND_TIMEOUT_S,
        )
        assert proc.returncode == 0, f"protoc on {side}:\n{proc.stderr}"


def test_every_wire_rule_is_covered_both_ways(category_rules):
    """Each WIRE / WIRE_JSON rule has a pair that breaks it and a pair that exercises it but stays
    compatible in every category the rule belongs to."""
    breaking, compatible = {}, {}
    for pair_id in PAIR_IDS:
        meta = oracle.load_pair(pair_id).meta
        expect = meta["category_expectations"]
        for rule in meta["rules"]:
            cats = rule_categories(rule, category_rules)
            if not cats:
                continue
            if any(expect[c] == oracle.BREAKING for c in cats):
                breaking.setdefault(rule, []).append(pair_id)
            if all(expect[c] == oracle.COMPATIBLE for c in cats):
                compatible.setdefault(rule, []).append(pair_id)
    wire_rules = category_rules["WIRE"] | category_rules["WIRE_JSON"]
    missing = sorted(f"{r} ({way})" for r in wire_rules for way, seen in
                     (("breaking", breaking), ("compatible", compatible)) if r not in seen)
    assert not missing, f"rules without a corpus pair: {missing}"


# ------------------------------------------------------------------------- buf against meta.json


@pytest.mark.parametrize("category", oracle.CATEGORIES)
@pytest.mark.parametrize("pair_id", PAIR_IDS)
def test_buf_agrees_with_meta(pair_id, category, buf_verdicts, category_rules):
    pair = oracle.load_pair(pair_id)
    got = buf_verdicts[(pair_id, category)]
    assert got.verdict != oracle.ERROR, f"buf failed on {pair_id}:\n{got.detail}"
    expected = pair.meta["category_expectations"][category]
    assert got.verdict == expected, (
        f"buf {category} says {got.verdict}, meta.json says {expected}; buf reported "
        f"{sorted(got.rules)}\n{got.detail}")
    if got.verdict == oracle.BREAKING:
        # meta.json names exactly the rules of this category that buf reports.
        named = set(pair.meta["rules"]) & category_rules[category]
        assert got.rules == named, (
            f"buf {category} reported {sorted(got.rules)}; meta.json names {sorted(named)} for this "
            f"category\n{got.detail}")


# ---------------------------------------------------------------------------- Spoke against buf


@pytest.mark.parametrize("category", oracle.CATEGORIES)
@pytest.mark.parametrize("pair_id", PAIR_IDS)
def test_spoke_agrees_with_buf(pair_id, category, spoke_reports, buf_verdicts, divergences):
    pair = oracle.load_pair(pair_id)
    buf = buf_verdicts[(pair_id, category)]
    ours = spoke_reports[pair_id].verdict(category)
    if pair_id in divergences:
        return  # an accepted divergence, with its reason in docs/compatibility.md
    assert ours.verdict != oracle.ERROR, f"the Spoke checker failed on {pair_id}:\n{ours.detail}"
    assert ours.verdict == buf.verdict, (
        f"{category}: Spoke says {ours.verdict} ({sorted(ours.rules)}), buf says {buf.verdict} "
        f"({sorted(buf.rules)}). Fix the checker, or list {pair_id} with its reason under "
        f"'{oracle.DIVERGENCE_HEADING}' in docs/compatibility.md.\nSpoke: {ours.detail}")
    if ours.verdict == oracle.BREAKING:
        assert ours.rules & set(pair.meta["rules"]), (
            f"{category}: Spoke reports {sorted(ours.rules)}, none of meta.json's rules "
            f"{pair.meta['rules']}")


def test_divergence_table_is_current(divergences, buf_verdicts, request):
    """Every listed pair exists, the table's buf WIRE verdict is buf's, and (with a checker) the
    pair still diverges in some category, so fixed divergences leave the table."""
    unknown = sorted(set(divergences) - set(PAIR_IDS))
    assert not unknown, f"divergence table lists pairs not in the corpus: {unknown}"
    for pair_id, cells in divergences.items():
        assert len(cells) >= 5, f"{pair_id}: want pair id | rule | buf WIRE verdict | Spoke verdict | reason"
        buf_wire = buf_verdicts[(pair_id, "WIRE")].verdict
        assert cells[2].strip("` ").lower() == buf_wire, (
            f"{pair_id}: the table says buf WIRE is '{cells[2]}', buf says {buf_wire}")
        assert cells[4].strip(), f"{pair_id}: a divergence needs its reason"
    if not divergences:
        return
    reports = request.getfixturevalue("spoke_reports")
    for pair_id in divergences:
        same = all(reports[pair_id].verdict(c).verdict == buf_verdicts[(pair_id, c)].verdict
                   for c in oracle.CATEGORIES)
        assert not same, f"{pair_id} no longer diverges from buf: remove it from the table"


# --------------------------------------------------------------------------------- the document


def test_docs_describe_every_wire_rule(category_rules):
    text = oracle.DOCS_FILE.read_text(encoding="utf-8")
    headings = {line[4:].strip().strip("`") for line in text.splitlines() if line.startswith("### ")}
    missing = sorted((category_rules["WIRE"] | category_rules["WIRE_JSON"]) - headings)
    assert not missing, f"docs/compatibility.md has no '### RULE' section for {missing}"


def test_docs_divergence_table_parses():
    text = oracle.DOCS_FILE.read_text(encoding="utf-8")
    oracle.divergence_table(text)  # raises on a missing heading or header row


def test_meta_files_are_canonical_json():
    """meta.json files stay in one format (2-space indent, trailing newline) so diffs stay small."""
    for pair_id in PAIR_IDS:
        path = oracle.CORPUS_DIR / pair_id / "meta.json"
        text = path.read_text(encoding="utf-8")
        assert text == json.dumps(json.loads(text), indent=2) + "\n", f"{path} is not canonical"
