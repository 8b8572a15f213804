"""The type description language of xenchannel's IDL files.

An IDL file is Python: it calls namespace() once and then builds types
with the classes below (see docs/idl.md).  load() runs such a file and
returns its prefix and its named types in declaration order; gentypes.py
turns them into C.
"""

import re

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class IdlError(Exception):
    """A mistake in an IDL file."""


def _check_ident(name, what):
    if not isinstance(name, str) or not _IDENT.match(name):
        raise IdlError("%s: %r is not a C identifier" % (what, name))


class Type:
    """Base of every type.  Named types get C functions of their own."""

    def __init__(self, name):
        if name is not None:
            _check_ident(name, "type name")
        self.name = name

    def needs_dispose(self):
        """True when a value of this type owns memory."""
        return False


class Builtin(Type):
    """A C scalar or a string.

    json is one of "bool", "signed", "unsigned", "string"; minimum and
    maximum are the C limit macros a parsed number must lie between.
    """

    def __init__(self, name, ctype, json, minimum=None, maximum=None):
        super().__init__(name)
        self.ctype = ctype
        self.json = json
        self.minimum = minimum
        self.maximum = maximum

    def needs_dispose(self):
        return self.json == "string"


class EnumValue:
    def __init__(self, enum, name, value):
        _check_ident(name, "value of enumeration %s" % enum.name)
        if not isinstance(value, int) or isinstance(value, bool):
            raise IdlError("enumeration %s: value %s is not an integer"
                           % (enum.name, name))
        self.enum = enum
        self.name = name
        self.value = value


class Enumeration(Type):
    """A C enum.  values: [(NAME, int), ...]; strings are the lower-case
    names.  init_val names the value a fresh field holds (default: 0)."""

    def __init__(self, name, values, init_val=None):
        super().__init__(name)
        if name is None:
            raise IdlError("an enumeration needs a name")
        self.values = [EnumValue(self, n, v) for n, v in values]
        if not self.values:
            raise IdlError("enumeration %s has no values" % name)
        seen = set()
        for v in self.values:
            if v.name.lower() in seen or v.value in seen:
                raise IdlError("enumeration %s: %s or %d given twice"
                               % (name, v.name, v.value))
            seen.update((v.name.lower(), v.value))
        self.init_val = None
        if init_val is not None:
            self.init_val = self.value(init_val)
        _register(self)

    def value(self, name):
        for v in self.values:
            if v.name.lower() == name.lower():
                return v
        raise IdlError("enumeration %s has no value %s" % (self.name, name))

    def default(self):
        """The value a zeroed or freshly initialised field holds."""
        if self.init_val is not None:
            return self.init_val.value
        return 0


class Field:
    """A member of a Struct.  init_val is the value _init gives it (an
    integer, a bool, or for an enumeration the name of one of its values);
    a field holding its init value is left out of the JSON."""

    def __init__(self, name, type, init_val=None):
        _check_ident(name, "field name")
        if not isinstance(type, Type):
            raise IdlError("field %s: %r is not a type" % (name, type))
        if init_val is not None:
            if isinstance(type, Enumeration):
                init_val = type.value(init_val).value
            elif not (isinstance(type, Builtin) and type.json != "string"):
                raise IdlError("field %s: only numbers, bools and "
                               "enumerations take an init_val" % name)
        self.name = name
        self.type = type
        self.init_val = init_val


def _field(spec):
    """Accept Field objects or (name, type[, {options}]) tuples."""
    if isinstance(spec, Field):
        return spec
    if isinstance(spec, tuple) and len(spec) == 2:
        return Field(spec[0], spec[1])
    if isinstance(spec, tuple) and len(spec) == 3 and isinstance(spec[2], dict):
        return Field(spec[0], spec[1], **spec[2])
    raise IdlError("%r is not a field" % (spec,))


class Struct(Type):
    """A C struct.  A named Struct is a type of its own (with _init,
    _dispose, ... functions); an anonymous one (name None) is written
    inline where it is used (as a KeyedUnion member or a field)."""

    def __init__(self, name, fields):
        super().__init__(name)
        self.fields = [_field(f) for f in fields]
        names = set()
        for f in self.fields:
            if f.name in names:
                raise IdlError("struct %s: field %s given twice"
                               % (name, f.name))
            names.add(f.name)
            if isinstance(f.type, Array):
                names.add("num_" + f.name)
            if isinstance(f.type, KeyedUnion):
                names.add(f.type.keyvar)
        if name is not None:
            _register(self)

    def needs_dispose(self):
        return any(f.type.needs_dispose() for f in self.fields)


class KeyedUnion(Type):
    """A C union whose active member is chosen by an Enumeration field.

    KeyedUnion(None, enum, keyvar, [(value name, Struct or None), ...])
    becomes `enum keyvar; union { ... } <field name>;` in the parent
    Struct.  Members without data (None or an empty Struct) take no room.
    Its JSON is one key "<keyvar>.<member>" holding the member's object.
    """

    def __init__(self, name, keyvar_type, keyvar, members):
        super().__init__(None)
        if name is not None:
            raise IdlError("a KeyedUnion lives inside a Struct: no name")
        if not isinstance(keyvar_type, Enumeration):
            raise IdlError("KeyedUnion %s: key must be an Enumeration"
                           % keyvar)
        _check_ident(keyvar, "KeyedUnion key")
        self.keyvar_type = keyvar_type
        self.keyvar = keyvar
        self.members = []
        for mname, mtype in members:
            value = keyvar_type.value(mname)
            if any(v is value for v, _ in self.members):
                raise IdlError("KeyedUnion %s: member %s given twice"
                               % (keyvar, mname))
            if mtype is not None and not isinstance(mtype, Struct):
                raise IdlError("KeyedUnion %s: member %s must be a Struct "
                               "or None" % (keyvar, mname))
            if mtype is not None and not mtype.fields:
                mtype = None
            self.members.append((value, mtype))

    def needs_dispose(self):
        return any(m is not None and m.needs_dispose()
                   for _, m in self.members)

    def has_storage(self):
        return any(m is not None for _, m in self.members)

    def default_member(self):
        """The member a freshly initialised struct has, if listed."""
        for value, mtype in self.members:
            if value.value == self.keyvar_type.default():
                return value, mtype
        return None, None


class Array(Type):
    """A counted array, as libxl: `int num_<name>; T *<name>;`."""

    def __init__(self, elem_type):
        super().__init__(None)
        if isinstance(elem_type, (Array, KeyedUnion)) or (
                isinstance(elem_type, Struct) and elem_type.name is None):
            raise IdlError("array elements must be builtins, enumerations "
                           "or named structs")
        self.elem_type = elem_type

    def needs_dispose(self):
        return True


# The builtins.  Integers that fit a long long go through
# yajl_gen_integer, uint64 through yajl_gen_number (as libxl does).
bool_ = Builtin("bool", "bool", "bool")
integer = Builtin("integer", "int", "signed", "INT_MIN", "INT_MAX")
int8 = Builtin("int8", "int8_t", "signed", "INT8_MIN", "INT8_MAX")
int16 = Builtin("int16", "int16_t", "signed", "INT16_MIN", "INT16_MAX")
int32 = Builtin("int32", "int32_t", "signed", "INT32_MIN", "INT32_MAX")
int64 = Builtin("int64", "int64_t", "signed", "INT64_MIN", "INT64_MAX")
uint8 = Builtin("uint8", "uint8_t", "unsigned", "0", "UINT8_MAX")
uint16 = Builtin("uint16", "uint16_t", "unsigned", "0", "UINT16_MAX")
uint32 = Builtin("uint32", "uint32_t", "unsigned", "0", "UINT32_MAX")
uint64 = Builtin("uint64", "uint64_t", "unsigned", "0", "UINT64_MAX")
string = Builtin("string", "char *", "string")

BUILTINS = [bool_, integer, int8, int16, int32, int64,
            uint8, uint16, uint32, uint64, string]

# Filled while an IDL file runs.
_state = {"prefix": None, "types": None}


def _register(ty):
    if _state["types"] is None:
        return
    for t in _state["types"]:
        if t.name == ty.name:
            raise IdlError("type %s defined twice" % ty.name)
    _state["types"].append(ty)


def namespace(prefix):
    """Set the C prefix of every generated name (e.g. "xch_")."""
    _check_ident(prefix, "namespace")
    _state["prefix"] = prefix


def load(path):
    """Run the IDL file at path; return (prefix, [named types])."""
    _state["prefix"] = None
    _state["types"] = []
    env = {
        "namespace": namespace,
        "Enumeration": Enumeration,
        "Struct": Struct,
        "KeyedUnion": KeyedUnion,
        "Array": Array,
        "Field": Field,
        "bool": bool_,
    }
    for b in BUILTINS:
        env[b.name] = b
    with open(path, encoding="utf-8") as f:
        source = f.read()
    try:
        exec(compile(source, path, "exec"), env)
        if _state["prefix"] is None:
            raise IdlError("%s: namespace() was never called" % path)
        return _state["prefix"], list(_state["types"])
    finally:
        _state["types"] = None
