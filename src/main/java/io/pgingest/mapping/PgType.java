package io.pgingest.mapping;

import io.pgingest.event.LogicalType;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A parsed PostgreSQL type name ({@code format_type()} form): its base name without type
 * modifiers, whether it is an array, its numeric precision and scale, and how it is read.
 * Immutable; parsing never fails (an unknown name is a user type read as text).
 */
record PgType(String baseName, boolean array, boolean builtIn, LogicalType logicalType, int precision, int scale,
              Read read) {

    /** How the table source selects a value of the type so that its reader gets a predictable value. */
    enum Read {
        /** The column itself. */
        PLAIN,
        /** {@code c::text}: the type's text output. */
        TEXT,
        /** {@code abbrev(c)}: inet's output form ({@code inet::text} always adds the netmask). */
        INET,
        /** {@code array_to_json(c)::text}. */
        ARRAY_JSON,
        /** {@code array_to_json(c::smallint[])::text} for int2vector, {@code ::oid[]::bigint[]} for oidvector. */
        VECTOR_JSON,
        /** {@code c::numeric}: money without its locale-dependent currency text. */
        NUMERIC,
        /** {@code c::bigint} (oid). */
        BIGINT,
        /** {@code c::text::bigint} (xid, cid: no cast to bigint exists). */
        TEXT_BIGINT,
        /** {@code c::text::numeric} (xid8). */
        TEXT_NUMERIC,
        /** months, days and microseconds as numbers, formatted by the reader. */
        INTERVAL_PARTS
    }

    private record Entry(LogicalType type, Read read) {
    }

    private static final Pattern TYPMOD = Pattern.compile("\\(\\s*(-?\\d+)\\s*(?:,\\s*(-?\\d+)\\s*)?\\)");

    /** money holds 19 digits of which (for the usual 2-fraction-digit lc_monetary) 2 are fractional. */
    static final int MONEY_PRECISION = 19;
    static final int MONEY_SCALE = 2;
    /** xid8 is an unsigned 64-bit integer: up to 20 decimal digits. */
    static final int XID8_PRECISION = 20;

    /** Built-in types whose text output is also valid input on any PostgreSQL server (kept as-is there). */
    static final Set<String> PORTABLE_TEXT_TYPES = Set.of(
            "point", "line", "lseg", "box", "path", "polygon", "circle",
            "inet", "cidr", "macaddr", "macaddr8", "bit", "bit varying", "varbit",
            "tsvector", "tsquery", "xml", "jsonpath", "pg_lsn",
            "int4range", "int8range", "numrange", "daterange", "tsrange", "tstzrange",
            "int4multirange", "int8multirange", "nummultirange", "datemultirange", "tsmultirange",
            "tstzmultirange");

    private static final Map<String, Entry> BUILT_IN = builtIns();

    static PgType parse(String sourceType) {
        String s = sourceType.strip();
        if (s.endsWith("[]")) {
            return new PgType(s.substring(0, s.indexOf('[')).strip(), true, true, LogicalType.JSON, -1, -1,
                    Read.ARRAY_JSON);
        }
        Matcher m = TYPMOD.matcher(s);
        int precision = -1;
        int scale = -1;
        if (m.find()) {
            precision = Integer.parseInt(m.group(1));
            scale = m.group(2) == null ? 0 : Integer.parseInt(m.group(2));
        }
        String base = normalise(m.replaceAll(""));
        Entry e = BUILT_IN.get(base);
        if (e == null) {
            return new PgType(base, false, false, LogicalType.TEXT, -1, -1, Read.TEXT);
        }
        return withPrecision(base, e, precision, scale);
    }

    private static PgType withPrecision(String base, Entry e, int precision, int scale) {
        if (base.equals("numeric")) {
            return numeric(base, e, precision, scale);
        }
        if (base.equals("money")) {
            return new PgType(base, false, true, e.type(), MONEY_PRECISION, MONEY_SCALE, e.read());
        }
        if (base.equals("xid8")) {
            return new PgType(base, false, true, e.type(), XID8_PRECISION, 0, e.read());
        }
        return new PgType(base, false, true, e.type(), -1, -1, e.read());
    }

    /**
     * numeric(p,s): PostgreSQL 15 also allows a negative scale (rounding left of the point) and a
     * scale above the precision; both are turned into an ordinary DECIMAL that holds every value
     * exactly, because -1 means "unconstrained" in {@link io.pgingest.event.Column}.
     */
    private static PgType numeric(String base, Entry e, int precision, int scale) {
        if (precision < 0) {
            return new PgType(base, false, true, e.type(), -1, -1, e.read());
        }
        int p = precision;
        int s = scale;
        if (s < 0) {
            p = precision - s;
            s = 0;
        } else if (s > p) {
            p = s;
        }
        return new PgType(base, false, true, e.type(), p, s, e.read());
    }

    private static String normalise(String name) {
        String n = name.strip().replaceAll("\\s+", " ");
        if (n.indexOf('"') < 0) {
            n = n.toLowerCase(Locale.ROOT);
        }
        if (n.startsWith("pg_catalog.")) {
            n = n.substring("pg_catalog.".length());
        }
        if (n.startsWith("interval")) {
            return "interval"; // interval year to month, interval day to second...
        }
        return n;
    }

    private static Map<String, Entry> builtIns() {
        Map<String, Entry> m = new java.util.HashMap<>();
        put(m, LogicalType.BOOLEAN, Read.PLAIN, "boolean", "bool");
        put(m, LogicalType.INT16, Read.PLAIN, "smallint", "int2");
        put(m, LogicalType.INT32, Read.PLAIN, "integer", "int4", "int");
        put(m, LogicalType.INT64, Read.PLAIN, "bigint", "int8");
        put(m, LogicalType.INT64, Read.BIGINT, "oid");
        put(m, LogicalType.INT64, Read.TEXT_BIGINT, "xid", "cid");
        put(m, LogicalType.FLOAT32, Read.PLAIN, "real", "float4");
        put(m, LogicalType.FLOAT64, Read.PLAIN, "double precision", "float8");
        put(m, LogicalType.DECIMAL, Read.PLAIN, "numeric", "decimal");
        put(m, LogicalType.DECIMAL, Read.NUMERIC, "money");
        put(m, LogicalType.DECIMAL, Read.TEXT_NUMERIC, "xid8");
        put(m, LogicalType.TEXT, Read.PLAIN, "text", "character varying", "varchar", "character", "bpchar",
                "char");
        put(m, LogicalType.TEXT, Read.TEXT, "name", "\"char\"", "refcursor");
        put(m, LogicalType.JSON, Read.PLAIN, "json", "jsonb");
        put(m, LogicalType.JSON, Read.VECTOR_JSON, "int2vector", "oidvector");
        put(m, LogicalType.BYTES, Read.PLAIN, "bytea");
        put(m, LogicalType.DATE, Read.PLAIN, "date");
        put(m, LogicalType.TIME, Read.PLAIN, "time without time zone", "time");
        put(m, LogicalType.TIMETZ, Read.PLAIN, "time with time zone", "timetz");
        put(m, LogicalType.TIMESTAMP, Read.PLAIN, "timestamp without time zone", "timestamp");
        put(m, LogicalType.TIMESTAMPTZ, Read.PLAIN, "timestamp with time zone", "timestamptz");
        put(m, LogicalType.INTERVAL, Read.INTERVAL_PARTS, "interval");
        put(m, LogicalType.UUID, Read.PLAIN, "uuid");
        for (String t : PORTABLE_TEXT_TYPES) {
            put(m, LogicalType.TEXT, Read.TEXT, t);
        }
        put(m, LogicalType.TEXT, Read.INET, "inet");
        put(m, LogicalType.TEXT, Read.TEXT,
                "regclass", "regcollation", "regconfig", "regdictionary", "regnamespace", "regoper",
                "regoperator", "regproc", "regprocedure", "regrole", "regtype",
                "aclitem", "tid", "gtsvector", "pg_snapshot", "txid_snapshot",
                "pg_node_tree", "pg_ndistinct", "pg_dependencies", "pg_mcv_list",
                "pg_brin_bloom_summary", "pg_brin_minmax_multi_summary");
        return Map.copyOf(m);
    }

    private static void put(Map<String, Entry> m, LogicalType type, Read read, String... names) {
        for (String n : names) {
            m.put(n, new Entry(type, read));
        }
    }
}
