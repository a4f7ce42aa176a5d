"""A small protobuf wire-format reader for google.protobuf.FileDescriptorSet, so the suite needs no
python3-protobuf: just the fields the tests look at."""


def _varint(buf, i):
    shift = result = 0
    while True:
        if i >= len(buf):
            raise ValueError("truncated varint")
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def fields(buf):
    """Yields (field_number, wire_type, value) for one message; value is int or bytes."""
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(buf, i)
        elif wt == 1:
            v, i = buf[i:i + 8], i + 8
        elif wt == 2:
            n, i = _varint(buf, i)
            if i + n > len(buf):
                raise ValueError("truncated length-delimited field")
            v, i = buf[i:i + n], i + n
        elif wt == 5:
            v, i = buf[i:i + 4], i + 4
        else:
            raise ValueError(f"unsupported wire type {wt}")
        yield num, wt, v


def _message(buf):
    out = {"name": None, "fields": []}
    for num, _wt, v in fields(buf):
        if num == 1:
            out["name"] = v.decode()
        elif num == 2:
            f = {}
            for fn, _w, fv in fields(v):
                if fn == 1:
                    f["name"] = fv.decode()
                elif fn == 3:
                    f["number"] = fv
                elif fn == 6:
                    f["type_name"] = fv.decode()
            out["fields"].append(f)
    return out


def parse_file_descriptor_set(data):
    """[{name, package, dependency: [...], messages: [{name, fields}], has_source_code_info}]"""
    files = []
    for num, wt, v in fields(data):
        if num != 1 or wt != 2:
            raise ValueError(f"unexpected field {num} in FileDescriptorSet")
        fd = {"name": None, "package": "", "dependency": [], "messages": [], "has_source_code_info": False}
        for fnum, _fwt, fv in fields(v):
            if fnum == 1:
                fd["name"] = fv.decode()
            elif fnum == 2:
                fd["package"] = fv.decode()
            elif fnum == 3:
                fd["dependency"].append(fv.decode())
            elif fnum == 4:
                fd["messages"].append(_message(fv))
            elif fnum == 9:
                fd["has_source_code_info"] = len(fv) > 0
        files.append(fd)
    return files
