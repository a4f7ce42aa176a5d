#!/usr/bin/python3
"""Writes the 50-file module bench/codegen.sh generates code for, deterministically.

Usage: codegen_module.py OUT_DIR

Seven packages (acme.<pkg>.v1, under acme/<pkg>/v1/) of 7-8 files each. Every file has 3-5
messages with nested messages and enums, maps, oneofs, repeated and proto3 `optional` fields,
references to messages and enums of files it imports (in its own package and in earlier
packages) and to well-known types; every third file has a service with unary, server-streaming,
client-streaming and bidirectional methods. The same OUT_DIR contents on every run (a fixed
seed, no clock), so timings of different runs are of the same input.
Prints one line: files, bytes, messages, services."""

import os
import random
import sys

PACKAGES = [
    ("common", ["money", "address", "paging", "audit", "errors", "ids", "contact", "locale"]),
    ("users", ["account", "profile", "session", "role", "preference", "device", "consent"]),
    ("catalog", ["product", "category", "price_list", "media", "review", "bundle", "attribute"]),
    ("inventory", ["warehouse", "stock", "reservation", "transfer", "supplier", "lot", "count"]),
    ("orders", ["cart", "order", "line_item", "discount", "fulfillment", "return", "quote"]),
    ("billing", ["invoice", "payment", "refund", "tax", "subscription", "ledger", "dispute"]),
    ("shipping", ["shipment", "carrier", "parcel", "tracking", "rate", "label", "pickup"]),
]

# google/protobuf/<file>.proto: the message types used from it.
WELL_KNOWN = {
    "timestamp": ["google.protobuf.Timestamp"],
    "duration": ["google.protobuf.Duration"],
    "struct": ["google.protobuf.Struct", "google.protobuf.Value"],
    "any": ["google.protobuf.Any"],
    "field_mask": ["google.protobuf.FieldMask"],
    "wrappers": ["google.protobuf.StringValue", "google.protobuf.Int64Value",
                 "google.protobuf.BoolValue", "google.protobuf.DoubleValue"],
    "empty": ["google.protobuf.Empty"],
}

SCALARS = ["string", "int32", "int64", "uint32", "uint64", "bool", "double", "float", "bytes",
           "sint64", "fixed64", "sfixed32"]
MAP_KEYS = ["string", "int64", "uint32", "bool"]
SUFFIXES = ["", "Summary", "Detail", "Filter", "Event", "Snapshot"]
FIELD_WORDS = ["id", "name", "code", "title", "state", "total", "amount", "weight", "note", "ref",
               "owner", "source", "target", "region", "channel", "version", "priority", "limit",
               "score", "reason", "label", "origin", "external", "display", "sequence", "hint"]
ENUM_WORDS = ["PENDING", "ACTIVE", "SUSPENDED", "CLOSED", "ARCHIVED", "FAILED", "RETRYING",
              "COMPLETE", "DRAFT", "REVIEW"]


def camel(snake):
    return "".join(part.capitalize() for part in snake.split("_"))


def upper(snake):
    return snake.upper()


class FileSpec:
    def __init__(self, pkg, topic, index):
        self.pkg = pkg
        self.topic = topic
        self.index = index  # position in the whole module
        self.path = "acme/%s/v1/%s.proto" % (pkg, topic)
        self.package = "acme.%s.v1" % pkg
        self.messages = []  # fully qualified message names other files may use
        self.enums = []     # fully qualified top-level enum names


class FileWriter:
    """Builds one file's text; `rng` decides shapes, names come from the topic."""

    def __init__(self, spec, imported, rng):
        self.spec = spec
        self.imported = imported  # FileSpecs this file imports
        self.rng = rng
        self.lines = []
        self.wkt = sorted(rng.sample(sorted(WELL_KNOWN), 3))
        if spec.index % 5 == 0 and "empty" not in self.wkt:
            self.wkt.append("empty")
            self.wkt.sort()

    def out(self, depth, text=""):
        self.lines.append(("  " * depth + text) if text else "")

    def foreign_types(self):
        types = []
        for f in self.imported:
            types += f.messages + f.enums
        for w in self.wkt:
            types += WELL_KNOWN[w]
        return types

    def field_name(self, used, base=None):
        while True:
            name = base or self.rng.choice(FIELD_WORDS)
            if self.rng.random() < 0.5:
                name = name + "_" + self.rng.choice(FIELD_WORDS)
            base = None
            if name not in used:
                used.add(name)
                return name

    def enum(self, depth, name, prefix):
        values = self.rng.sample(ENUM_WORDS, self.rng.randint(3, 6))
        self.out(depth, "// %s says where one %s stands." % (name, self.spec.topic.replace("_", " ")))
        self.out(depth, "enum %s {" % name)
        self.out(depth + 1, "%s_UNSPECIFIED = 0;" % prefix)
        for number, value in enumerate(values, start=1):
            self.out(depth + 1, "%s_%s = %d;" % (prefix, value, number))
        self.out(depth, "}")

    def message(self, depth, name, local_types, nested_levels):
        rng = self.rng
        self.out(depth, "// %s is part of the %s API; fields are added, never renumbered."
                 % (name, self.spec.pkg))
        self.out(depth, "message %s {" % name)
        inner = []
        if nested_levels > 0:
            nested = name + "Part"
            self.message(depth + 1, nested, local_types, nested_levels - 1)
            inner.append(nested)
            self.out(depth + 1)
        if rng.random() < 0.6:
            nested_enum = "Mode"
            self.enum(depth + 1, nested_enum, upper("mode"))
            inner.append(nested_enum)
            self.out(depth + 1)
        used = set()
        number = 1
        if rng.random() < 0.25:
            self.out(depth + 1, "reserved 2, 15 to 17;")
            self.out(depth + 1, 'reserved "legacy_%s";' % self.spec.topic)
        candidates = inner + local_types + self.foreign_types()
        for _ in range(rng.randint(6, 12)):
            while number in (2, 15, 16, 17):
                number += 1
            kind = rng.random()
            fname = self.field_name(used)
            if kind < 0.35:
                label = rng.choice(["", "", "repeated ", "optional "])
                self.out(depth + 1, "%s%s %s = %d;" % (label, rng.choice(SCALARS), fname, number))
            elif kind < 0.7 and candidates:
                label = rng.choice(["", "repeated "])
                self.out(depth + 1, "%s%s %s = %d;" % (label, rng.choice(candidates), fname, number))
            elif kind < 0.85:
                value = rng.choice(candidates + ["string", "int64"]) if candidates else "string"
                self.out(depth + 1, "map<%s, %s> %s = %d;" % (rng.choice(MAP_KEYS), value, fname,
                                                            number))
            else:
                self.out(depth + 1, "oneof %s {" % self.field_name(used, "choice"))
                for _ in range(rng.randint(2, 4)):
                    number += 1
                    while number in (2, 15, 16, 17):
                        number += 1
                    t = rng.choice(candidates + SCALARS[:4]) if candidates else "string"
                    self.out(depth + 2, "%s %s = %d;" % (t, self.field_name(used), number))
                self.out(depth + 1, "}")
            number += 1
        self.out(depth, "}")

    def service(self, messages):
        rng = self.rng
        topic = camel(self.spec.topic)
        self.out(0, "// %sService manages %s resources." % (topic, self.spec.topic.replace("_", " ")))
        self.out(0, "service %sService {" % topic)
        shapes = [("Get", "", ""), ("Watch", "", "stream "), ("Upload", "stream ", ""),
                  ("Sync", "stream ", "stream ")]
        for verb, req_stream, resp_stream in shapes:
            req, resp = rng.choice(messages), rng.choice(messages)
            self.out(1, "rpc %s%s(%s%s) returns (%s%s);" % (verb, topic, req_stream, req,
                                                           resp_stream, resp))
        if "empty" in self.wkt:
            self.out(1, "rpc Ping%s(google.protobuf.Empty) returns (google.protobuf.Empty);" % topic)
        self.out(0, "}")

    def write(self):
        spec, rng = self.spec, self.rng
        self.out(0, 'syntax = "proto3";')
        self.out(0)
        self.out(0, "package %s;" % spec.package)
        self.out(0)
        for w in self.wkt:
            self.out(0, 'import "google/protobuf/%s.proto";' % w)
        for f in self.imported:
            self.out(0, 'import "%s";' % f.path)
        self.out(0)
        self.out(0, 'option go_package = "example.com/acme/%s/v1;%sv1";' % (spec.pkg, spec.pkg))
        self.out(0, 'option java_package = "com.acme.%s.v1";' % spec.pkg)
        if spec.index % 2 == 0:
            self.out(0, "option java_multiple_files = true;")
        self.out(0)
        topic = camel(spec.topic)
        enum_name = topic + "Status"
        self.enum(0, enum_name, upper(spec.topic) + "_STATUS")
        spec.enums.append("%s.%s" % (spec.package, enum_name))
        local = [enum_name]
        names = [topic + s for s in SUFFIXES[: rng.randint(3, 5)]]
        for name in names:
            self.out(0)
            self.message(0, name, list(local), rng.randint(0, 2))
            local.append(name)
            spec.messages.append("%s.%s" % (spec.package, name))
        if spec.index % 3 == 2:
            self.out(0)
            self.service(names)
        return "\n".join(self.lines) + "\n"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: codegen_module.py OUT_DIR")
    out_dir = sys.argv[1]
    rng = random.Random(4)
    specs, files = [], []
    for pkg, topics in PACKAGES:
        for topic in topics:
            specs.append(FileSpec(pkg, topic, len(specs)))
    assert len(specs) == 50, len(specs)
    for spec in specs:
        earlier = [s for s in specs if s.index < spec.index]
        same = [s for s in earlier if s.pkg == spec.pkg]
        other = [s for s in earlier if s.pkg != spec.pkg]
        imported = rng.sample(same, min(len(same), rng.randint(0, 2)))
        imported += rng.sample(other, min(len(other), rng.randint(1, 2)))
        imported.sort(key=lambda s: s.index)
        files.append((spec, FileWriter(spec, imported, rng).write()))
    total = 0
    for spec, text in files:
        path = os.path.join(out_dir, spec.path)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        total += len(text)
    print("%d files, %d bytes, %d messages, %d services" % (
        len(files), total, sum(len(s.messages) for s in specs),
        sum(1 for s in specs if s.index % 3 == 2)))


if __name__ == "__main__":
    main()
