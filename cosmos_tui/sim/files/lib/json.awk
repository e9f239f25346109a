# cosmos-tui simulator: flatten one JSON document (all of stdin) into lines of
#     path <TAB> type <TAB> value
# type: o object, a array, s string, n number, b boolean, z null. Object keys nest with ".",
# array items with "[i]". String values are unescaped, then backslash, newline, tab and CR are
# re-escaped (\\ \n \t \r) so each value stays on one line. Exit status 3 on malformed input.
# POSIX awk (busybox, mawk, gawk); no jq needed.

function fail(msg) {
    printf "JSONDecodeError: %s: line 1 column %d (char %d)\n", msg, pos, pos - 1 > "/dev/stderr"
    bad = 1
    exit 3
}

function ws() {
    while (pos <= n && index(" \t\r\n", substr(buf, pos, 1)) > 0) pos++
}

function hexval(h,    i, v, c) {
    v = 0
    for (i = 1; i <= length(h); i++) {
        c = index("0123456789abcdef", tolower(substr(h, i, 1)))
        if (c == 0) fail("Invalid \\uXXXX escape")
        v = v * 16 + c - 1
    }
    return v
}

function utf8(v) {
    if (v < 128) return sprintf("%c", v)
    if (v < 2048) return sprintf("%c%c", 192 + int(v / 64), 128 + v % 64)
    return sprintf("%c%c%c", 224 + int(v / 4096), 128 + int(v / 64) % 64, 128 + v % 64)
}

# Reads a string at pos (which is on the opening quote); returns it re-escaped for one line.
function str(    out, c, e) {
    pos++
    out = ""
    while (pos <= n) {
        c = substr(buf, pos, 1)
        if (c == "\"") { pos++; return out }
        if (c == "\\") {
            e = substr(buf, pos + 1, 1)
            pos += 2
            if (e == "n") out = out "\\n"
            else if (e == "t") out = out "\\t"
            else if (e == "r") out = out "\\r"
            else if (e == "\\") out = out "\\\\"
            else if (e == "\"") out = out "\""
            else if (e == "/") out = out "/"
            else if (e == "b" || e == "f") out = out " "
            else if (e == "u") { out = out utf8(hexval(substr(buf, pos, 4))); pos += 4 }
            else fail("Invalid \\escape")
            continue
        }
        if (c == "\n") fail("Invalid control character")
        if (c == "\t") c = "\\t"
        out = out c
        pos++
    }
    fail("Unterminated string starting at")
}

function emit(path, type, value) {
    printf "%s\t%s\t%s\n", path, type, value
}

function value(path,    c, lit) {
    ws()
    c = substr(buf, pos, 1)
    if (c == "{") { object(path); return }
    if (c == "[") { array(path); return }
    if (c == "\"") { emit(path, "s", str()); return }
    lit = ""
    while (pos <= n && index(",:}] \t\r\n", substr(buf, pos, 1)) == 0) {
        lit = lit substr(buf, pos, 1)
        pos++
    }
    if (lit == "true" || lit == "false") emit(path, "b", lit)
    else if (lit == "null") emit(path, "z", "")
    else if (lit ~ /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/) emit(path, "n", lit)
    else fail("Expecting value")
}

function object(path,    key, c) {
    pos++
    emit(path, "o", "")
    ws()
    if (substr(buf, pos, 1) == "}") { pos++; return }
    while (1) {
        ws()
        if (substr(buf, pos, 1) != "\"") fail("Expecting property name enclosed in double quotes")
        key = str()
        ws()
        if (substr(buf, pos, 1) != ":") fail("Expecting ':' delimiter")
        pos++
        value(path == "" ? key : path "." key)
        ws()
        c = substr(buf, pos, 1)
        pos++
        if (c == "}") return
        if (c != ",") fail("Expecting ',' delimiter")
    }
}

function array(path,    i, c) {
    pos++
    emit(path, "a", "")
    ws()
    if (substr(buf, pos, 1) == "]") { pos++; return }
    for (i = 0; ; i++) {
        value(path "[" i "]")
        ws()
        c = substr(buf, pos, 1)
        pos++
        if (c == "]") return
        if (c != ",") fail("Expecting ',' delimiter")
    }
}

{ buf = buf $0 "\n" }

END {
    if (bad) exit 3
    n = length(buf)
    pos = 1
    ws()
    if (pos > n) fail("Expecting value")
    if (substr(buf, pos, 1) != "{") fail("Expecting object")
    value("")
    ws()
    if (pos <= n) fail("Extra data")
}
