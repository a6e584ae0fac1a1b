package io.pgingest.mapping;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static io.pgingest.mapping.TypeMappingIT.bytes;
import static io.pgingest.mapping.TypeMappingIT.dec;
import static io.pgingest.mapping.TypeMappingIT.time;
import static io.pgingest.mapping.TypeMappingIT.timetz;
import static io.pgingest.mapping.TypeMappingIT.uuid;

/**
 * The all-types test table: one column per built-in type plus arrays, a domain, an enum, a composite
 * and a user range. Row 1 holds typical values, row 2 only NULLs, row 3 edge values (NULL where none).
 */
final class AllTypesTable {

    private record Spec(String name, String type, String typicalSql, Object typical, String edgeSql, Object edge) {
    }

    private static final List<Spec> SPECS = new ArrayList<>();

    private static void col(String name, String type, String typicalSql, Object typical) {
        SPECS.add(new Spec(name, type, typicalSql, typical, null, null));
    }

    private static void col(String name, String type, String typicalSql, Object typical, String edgeSql,
                            Object edge) {
        SPECS.add(new Spec(name, type, typicalSql, typical, edgeSql, edge));
    }

    static {
        col("c_bool", "boolean", "true", true, "false", false);
        col("c_int2", "smallint", "12", (short) 12, "-32768", Short.MIN_VALUE);
        col("c_int4", "integer", "123456", 123456, "2147483647", Integer.MAX_VALUE);
        col("c_int8", "bigint", "1234567890123", 1234567890123L, "-9223372036854775808", Long.MIN_VALUE);
        col("c_oid", "oid", "1259", 1259L, "4294967295", 4294967295L);
        col("c_xid", "xid", "'12345'", 12345L, "'4294967295'", 4294967295L);
        col("c_cid", "cid", "'7'", 7L);
        col("c_xid8", "xid8", "'123456789'", dec("123456789"), "'18446744073709551615'",
                dec("18446744073709551615"));
        col("c_float4", "real", "1.5", 1.5f, "'NaN'", Float.NaN);
        col("c_float8", "double precision", "1.0000000000000002", 1.0000000000000002, "'-Infinity'",
                Double.NEGATIVE_INFINITY);
        col("c_float8_inf", "double precision", "'Infinity'", Double.POSITIVE_INFINITY);
        col("c_numeric", "numeric(30,10)", "'12345678901234567890.1234567890'",
                dec("12345678901234567890.1234567890"), "'NaN'", "NaN");
        col("c_numeric_free", "numeric", "'0.000000000000000000000000000001'",
                dec("0.000000000000000000000000000001"), "'-Infinity'", "-Infinity");
        col("c_numeric_inf", "numeric", "'Infinity'", "Infinity");
        col("c_numeric_neg_scale", "numeric(5,-2)", "1234567", dec("1234600"));
        col("c_money", "money", "'1234.56'", dec("1234.56"), "'-92233720368547758.08'",
                dec("-92233720368547758.08"));
        col("c_text", "text", "'héllo wörld ✓ 𝄞 日本'", "héllo wörld ✓ 𝄞 日本", "''", "");
        col("c_varchar", "character varying(20)", "'abc'", "abc");
        col("c_char", "character(5)", "'ab'", "ab   ");
        col("c_name", "name", "'pg_class'", "pg_class");
        col("c_qchar", "\"char\"", "'x'", "x");
        col("c_refcursor", "refcursor", "'cur'", "cur");
        col("c_json", "json", "'{\"b\": 1,  \"a\": [1, 2]}'", "{\"b\": 1,  \"a\": [1, 2]}");
        col("c_jsonb", "jsonb", "'{\"outer\": {\"inner\": [1, {\"deep\": true}]}, \"a\": null}'",
                "{\"a\": null, \"outer\": {\"inner\": [1, {\"deep\": true}]}}");
        col("c_int2vector", "int2vector", "'1 2 3'", "[1,2,3]");
        col("c_oidvector", "oidvector", "'23 25'", "[23,25]");
        col("c_bytea", "bytea", "'\\x00ff0001'", bytes(0, 0xff, 0, 1), "''", new byte[0]);
        col("c_date", "date", "'2024-02-29'", LocalDate.of(2024, 2, 29), "'infinity'", LocalDate.MAX);
        col("c_date_bc", "date", "'0044-03-15 BC'", LocalDate.of(-43, 3, 15), "'-infinity'", LocalDate.MIN);
        col("c_time", "time without time zone", "'23:59:59.999999'", time("23:59:59.999999"), "'24:00:00'",
                LocalTime.MAX);
        col("c_timetz", "time with time zone", "'10:11:12.5+05:30'", timetz("10:11:12.5+05:30"));
        col("c_ts", "timestamp without time zone", "'2024-03-31 02:30:00.123456'",
                LocalDateTime.of(2024, 3, 31, 2, 30, 0, 123_456_000), "'-infinity'", LocalDateTime.MIN);
        col("c_ts3", "timestamp(3) without time zone", "'2024-01-01 00:00:00.1239'",
                LocalDateTime.of(2024, 1, 1, 0, 0, 0, 124_000_000), "'infinity'", LocalDateTime.MAX);
        col("c_tstz", "timestamp with time zone", "'2024-01-01 10:00:00+05:45'",
                OffsetDateTime.of(2024, 1, 1, 4, 15, 0, 0, ZoneOffset.UTC), "'infinity'", OffsetDateTime.MAX);
        col("c_tstz_neg", "timestamp(3) with time zone", "'1999-12-31 23:00:00-03'",
                OffsetDateTime.of(2000, 1, 1, 2, 0, 0, 0, ZoneOffset.UTC), "'-infinity'", OffsetDateTime.MIN);
        // (the edge is within DuckDB's range and Debezium's microseconds, which end in the year 294247; PostgreSQL's in 294276)
        col("c_ts_far", "timestamp without time zone", "'0044-03-15 12:00:00.5 BC'",
                LocalDateTime.of(-43, 3, 15, 12, 0, 0, 500_000_000), "'200000-12-31 23:59:59.999999'",
                LocalDateTime.of(200000, 12, 31, 23, 59, 59, 999_999_000));
        col("c_tstz_far", "timestamp with time zone", "'0044-03-15 12:00:00+01 BC'",
                OffsetDateTime.of(-43, 3, 15, 11, 0, 0, 0, ZoneOffset.UTC), "'10000-01-01 00:00:00+00'",
                OffsetDateTime.of(10000, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC));
        col("c_interval", "interval", "'1 year 2 mons 3 days 04:05:06.789'", "1 year 2 mons 3 days 04:05:06.789",
                "'-178000000 years'", "-178000000 years");
        col("c_interval_ym", "interval year to month", "'-1 year -2 mons'", "-1 years -2 mons");
        col("c_uuid", "uuid", "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'",
                uuid("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"));
        col("c_point", "point", "'(1,2.5)'", "(1,2.5)");
        col("c_line", "line", "'{1,-1,0}'", "{1,-1,0}");
        col("c_lseg", "lseg", "'[(0,0),(1,1)]'", "[(0,0),(1,1)]");
        col("c_box", "box", "'(0,0),(1,1)'", "(1,1),(0,0)");
        col("c_path", "path", "'[(0,0),(1,1)]'", "[(0,0),(1,1)]");
        col("c_polygon", "polygon", "'((0,0),(1,0),(1,1))'", "((0,0),(1,0),(1,1))");
        col("c_circle", "circle", "'<(0,0),1>'", "<(0,0),1>");
        col("c_inet", "inet", "'192.168.0.1/24'", "192.168.0.1/24", "'::1'", "::1");
        col("c_cidr", "cidr", "'10.0.0.0/8'", "10.0.0.0/8");
        col("c_macaddr", "macaddr", "'08:00:2b:01:02:03'", "08:00:2b:01:02:03");
        col("c_macaddr8", "macaddr8", "'08:00:2b:01:02:03:04:05'", "08:00:2b:01:02:03:04:05");
        col("c_bit", "bit(4)", "B'1010'", "1010");
        col("c_bit1", "bit(1)", "B'1'", "1");
        col("c_varbit", "bit varying(8)", "B'101'", "101");
        col("c_tsvector", "tsvector", "'a fat cat'", "'a' 'cat' 'fat'");
        col("c_tsquery", "tsquery", "'fat & rat'", "'fat' & 'rat'");
        col("c_xml", "xml", "'<a>1</a>'", "<a>1</a>");
        col("c_xml_declared", "xml", "'<?xml version=\"1.0\"?><a>1</a>'", "<a>1</a>"); // as xml's output (and the WAL) has it
        col("c_jsonpath", "jsonpath", "'$.a[*] ? (@ > 1)'", "$.\"a\"[*]?(@ > 1)");
        col("c_pg_lsn", "pg_lsn", "'16/B374D848'", "16/B374D848");
        col("c_pg_snapshot", "pg_snapshot", "'10:20:10,14,15'", "10:20:10,14,15");
        col("c_txid_snapshot", "txid_snapshot", "'10:20:10,14,15'", "10:20:10,14,15");
        col("c_tid", "tid", "'(0,1)'", "(0,1)");
        col("c_aclitem", "aclitem", "'postgres=arwdDxt/postgres'", "postgres=arwdDxt/postgres");
        col("c_regclass", "regclass", "'pg_class'", "pg_class");
        col("c_regcollation", "regcollation", "'\"C\"'", "\"C\"");
        col("c_regconfig", "regconfig", "'english'", "english");
        col("c_regdictionary", "regdictionary", "'simple'", "simple");
        col("c_regnamespace", "regnamespace", "'public'", "public");
        col("c_regoper", "regoper", "'pg_catalog.+(integer,integer)'::regoperator::oid", "pg_catalog.+");
        col("c_regoperator", "regoperator", "'+(integer,integer)'", "+(integer,integer)");
        col("c_regproc", "regproc", "'now'", "now");
        col("c_regprocedure", "regprocedure", "'sum(integer)'", "sum(integer)");
        col("c_regrole", "regrole", "'postgres'", "postgres");
        col("c_regtype", "regtype", "'integer'", "integer");
        col("c_int4range", "int4range", "'[1,10)'", "[1,10)", "'empty'", "empty");
        col("c_int8range", "int8range", "'(1,10]'", "[2,11)");
        col("c_numrange", "numrange", "'(1.5,2.5]'", "(1.5,2.5]", "'(,)'", "(,)");
        col("c_daterange", "daterange", "'[2024-01-01,2024-02-01)'", "[2024-01-01,2024-02-01)");
        col("c_tsrange", "tsrange", "'[2024-01-01 10:00,2024-01-01 11:00)'",
                "[\"2024-01-01 10:00:00\",\"2024-01-01 11:00:00\")");
        col("c_tstzrange", "tstzrange", "'[2024-01-01 10:00+01,infinity)'", "[\"2024-01-01 09:00:00+00\",infinity)");
        col("c_int4multirange", "int4multirange", "'{[1,3), [5,7)}'", "{[1,3),[5,7)}");
        col("c_int8multirange", "int8multirange", "'{[1,3)}'", "{[1,3)}");
        col("c_nummultirange", "nummultirange", "'{[1.5,2)}'", "{[1.5,2)}");
        col("c_datemultirange", "datemultirange", "'{[2024-01-01,2024-01-05)}'", "{[2024-01-01,2024-01-05)}");
        col("c_tsmultirange", "tsmultirange", "'{[2024-01-01 10:00,2024-01-01 11:00)}'",
                "{[\"2024-01-01 10:00:00\",\"2024-01-01 11:00:00\")}");
        col("c_tstzmultirange", "tstzmultirange", "'{[2024-01-01 10:00+01,2024-01-01 11:00+01)}'",
                "{[\"2024-01-01 09:00:00+00\",\"2024-01-01 10:00:00+00\")}");
        // Types without an input function: only NULL can be stored (catalogOnlyTypesAreReadAsText reads values).
        for (String t : List.of("gtsvector", "pg_node_tree", "pg_ndistinct", "pg_dependencies", "pg_mcv_list",
                "pg_brin_bloom_summary", "pg_brin_minmax_multi_summary")) {
            col("c_" + t, t, "NULL", null);
        }
        col("c_domain", "posint", "5", 5);
        col("c_enum", "mood", "'happy'", "happy");
        col("c_composite", "pair", "ROW(1, 'x y')", "(1,\"x y\")");
        col("c_userrange", "floatrange", "'[1.5,2.5)'", "[1.5,2.5)");
        col("c_int_arr", "integer[]", "'{1,2,3}'", "[1,2,3]", "'{}'", "[]");
        col("c_text_arr", "text[]", "ARRAY['a', 'b\"q', NULL, 'ü\n']", "[\"a\",\"b\\\"q\",null,\"ü\\n\"]");
        col("c_2d_arr", "integer[]", "'{{1,2},{3,4}}'", "[[1,2],[3,4]]");
        col("c_num_arr", "numeric(5,2)[]", "'{1.5,NULL,-2.25}'", "[1.50,null,-2.25]");
        col("c_tstz_arr", "timestamp with time zone[]", "'{\"2024-01-01 10:00+01\"}'",
                "[\"2024-01-01T09:00:00+00:00\"]",
                "'{\"0044-03-15 12:00:00+00 BC\",infinity,\"1900-01-01 00:00+05:30\"}'",
                "[\"0044-03-15T12:00:00+00:00 BC\",\"infinity\",\"1899-12-31T18:30:00+00:00\"]");
        col("c_ts_arr", "timestamp without time zone[]", "'{\"2024-01-01 10:00:00.5\"}'",
                "[\"2024-01-01T10:00:00.5\"]", "'{\"0044-03-15 12:00:00 BC\",-infinity}'",
                "[\"0044-03-15T12:00:00 BC\",\"-infinity\"]");
        col("c_date_arr", "date[]", "'{2024-02-29,infinity,\"0044-03-15 BC\"}'",
                "[\"2024-02-29\",\"infinity\",\"0044-03-15 BC\"]");
        col("c_float_arr", "double precision[]", "'{1.5,NaN,-Infinity,1e300}'", "[1.5,\"NaN\",\"-Infinity\",1e+300]");
        col("c_interval_arr", "interval[]", "'{\"1 year 2 mons\",\"-00:00:01.5\"}'",
                "[\"1 year 2 mons\",\"-00:00:01.5\"]");
        col("c_bytea_arr", "bytea[]", "ARRAY['\\x00ff'::bytea, '']", "[\"\\\\x00ff\",\"\\\\x\"]");
        col("c_box_arr", "box[]", "'{(1,2),(0,0);(3,3),(1,1)}'", "[\"(1,2),(0,0)\",\"(3,3),(1,1)\"]");
        col("c_composite_arr", "pair[]", "ARRAY[ROW(1, 'x y')::pair]", "[{\"n\":1,\"s\":\"x y\"}]");
        col("c_domain_arr", "posint[]", "'{5,6}'", "[5,6]");
        col("c_bool_arr", "boolean[]", "'{t,f}'", "[true,false]");
        col("c_enum_arr", "mood[]", "'{happy,sad}'", "[\"happy\",\"sad\"]");
        col("c_jsonb_arr", "jsonb[]", "ARRAY['{\"a\": 1}'::jsonb]", "[{\"a\": 1}]");
        col("c_uuid_arr", "uuid[]", "'{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}'",
                "[\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"]");
    }

    /** Columns whose text depends on the session's TimeZone, IntervalStyle or bytea_output (TypeMapping.SESSION_SETTINGS). */
    private static final Set<String> SESSION_DEPENDENT = Set.of("c_tstzrange", "c_tstzmultirange", "c_tstz_arr",
            "c_interval_arr", "c_bytea_arr");

    static final List<String> DDL = ddl();

    private AllTypesTable() {
    }

    private static List<String> ddl() {
        List<String> sql = new ArrayList<>(List.of(
                "CREATE DOMAIN posint AS integer CHECK (VALUE > 0)",
                "CREATE TYPE mood AS ENUM ('happy', 'sad')",
                "CREATE TYPE pair AS (n integer, s text)",
                "CREATE TYPE floatrange AS RANGE (subtype = float8)",
                "CREATE TABLE all_types (id integer PRIMARY KEY, "
                        + SPECS.stream().map(s -> s.name() + " " + s.type()).collect(Collectors.joining(", "))
                        + ")",
                insert(1, Spec::typicalSql),
                "INSERT INTO all_types (id) VALUES (2)",
                insert(3, Spec::edgeSql),
                "CREATE TABLE dst (id integer PRIMARY KEY, berlin_gap timestamp, sao_paulo_gap timestamp,"
                        + " instant timestamptz, day date, duration interval)",
                "CREATE TABLE intervals (id integer PRIMARY KEY, i interval)",
                "INSERT INTO intervals VALUES (1, '0'), (2, '1 day'), (3, '-1 day'), (4, '1 mon -1 day 00:00:01'),"
                        + " (5, '-1 year -1 mon +1 day -00:00:00.000001'), (6, '100 hours 59 min 59.999999 sec'),"
                        + " (7, '2147483647 days'), (8, '-2147483648 mons'), (9, '12 mons'), (10, '13 mons'),"
                        + " (11, '1 year 1 mon 1 day 1 hour'), (12, '-00:00:01.5'), (13, '3 days -02:00:00'),"
                        + " (14, '1.5 years'), (15, '-2562047788:00:54.775807')",
                "CREATE TABLE timetzs (id integer PRIMARY KEY, t timetz)",
                "INSERT INTO timetzs VALUES (1, '10:11:12.5+05:30'), (2, '00:00:00-15:59:59'),"
                        + " (3, '23:59:59.999999+15:59:59'), (4, '24:00:00+00'), (5, '24:00:00-03'),"
                        + " (6, '12:00:00+05:30:15'), (7, '01:02:03.000001-00:00:07'), (8, '00:00:00+00')",
                "CREATE TABLE stats_src (a integer, b integer)",
                "INSERT INTO stats_src SELECT g % 10, g % 5 FROM generate_series(1, 1000) g",
                "CREATE STATISTICS stats_src_stx (ndistinct, dependencies, mcv) ON a, b FROM stats_src",
                "ANALYZE stats_src",
                "CREATE VIEW catalog_values AS SELECT (SELECT ev_action FROM pg_rewrite LIMIT 1) AS node_tree,"
                        + " d.stxdndistinct AS ndistinct, d.stxddependencies AS dependencies, d.stxdmcv AS mcv"
                        + " FROM pg_statistic_ext_data d JOIN pg_statistic_ext s ON s.oid = d.stxoid"
                        + " WHERE s.stxname = 'stats_src_stx'"));
        return List.copyOf(sql);
    }

    private static String insert(int id, java.util.function.Function<Spec, String> value) {
        return "INSERT INTO all_types VALUES (" + id + ", " + SPECS.stream()
                .map(s -> value.apply(s) == null ? "NULL" : value.apply(s)).collect(Collectors.joining(", ")) + ")";
    }

    static Map<String, Object> typicalRow() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", 1);
        SPECS.forEach(s -> m.put(s.name(), s.typical()));
        return m;
    }

    static Map<String, Object> edgeRow() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", 3);
        SPECS.forEach(s -> m.put(s.name(), s.edge()));
        return m;
    }

    static Map<String, Object> sessionIndependentSubset(Map<String, Object> row) {
        Map<String, Object> m = new LinkedHashMap<>(row);
        m.keySet().removeAll(SESSION_DEPENDENT);
        return m;
    }
}
