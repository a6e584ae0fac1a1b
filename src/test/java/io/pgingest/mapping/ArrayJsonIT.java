package io.pgingest.mapping;

import io.pgingest.testsupport.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ArrayJson} against PostgreSQL itself: for each array value, the text the server prints for it in a session
 * far from UTC (as a walsender whose client runs in another time zone would send it) is converted, and must equal
 * {@code array_to_json} of the same value in a session at UTC (as a table source reads it).
 */
class ArrayJsonIT {

    static TestDatabase db;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create("arrayjson");
        db.execute("CREATE TYPE mood AS ENUM ('happy', 'sad')");
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "'{1,2,3}'::int4[]", "'{}'::int4[]", "'{NULL}'::int8[]", "'{{1,2},{3,4}}'::int2[]",
            "'{{{1},{2}},{{3},{4}}}'::int4[]", "'[0:1]={7,8}'::int4[]", "'[2:3][1:1]={{1},{2}}'::int4[]",
            "'{1.50,NULL,-2.25,NaN,Infinity,-Infinity,0.000001,123456789012345678901234567890}'::numeric[]",
            "'{1.5,-0,1e20,1.2345678e-7,NaN,Infinity,-Infinity}'::float8[]", "'{3.4028235e38,1.1}'::float4[]",
            "'{t,f,NULL}'::bool[]",
            "ARRAY['a', 'b\"q', NULL, 'ü\n', 'NULL', '', ' padded ', 'tab\tand\\backslash', e'bell\\x07', '{x}', 'a,b']",
            "ARRAY['x', 'y']::varchar(3)[]", "ARRAY['x']::char(3)[]",
            "'{\"2024-01-01 10:00:00.5\",\"0044-03-15 12:00:00 BC\",infinity,-infinity,\"10000-01-01 00:00:00\"}'::timestamp[]",
            "'{\"2024-01-01 10:00+01\",\"2024-06-30 23:59:59.999999-07\",infinity,-infinity,\"0044-03-15 12:00:00+00 BC\","
                    + "\"1900-01-01 00:00:00+00\",\"2024-12-31 23:30:00-05:30\"}'::timestamptz[]",
            "'{2024-02-29,infinity,\"0001-01-01 BC\"}'::date[]",
            "'{10:00:00,24:00:00}'::time[]", "'{10:00:00+02,23:59:59.5-05:30}'::timetz[]",
            "'{\"1 year 2 mons 3 days 04:05:06.5\",\"-1 days\"}'::interval[]",
            "ARRAY['{\"a\": 1, \"b\": [1, 2.50]}'::jsonb, 'null', '\"s\"', '[]']", "ARRAY['{\"a\" :  1}'::json, NULL]",
            "'{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,NULL}'::uuid[]", "ARRAY['\\x0001ff'::bytea, '']",
            "'{(1,2),(0,0);(3,3),(1,1)}'::box[]", "'{\"(1.5,2)\"}'::point[]", "'{192.168.0.1/24,::1}'::inet[]",
            "'{\"[1,5)\",empty}'::int4range[]", "'{101,0}'::varbit[]", "'{1.23,-4.00}'::money[]",
            "'{\"a fat cat\"}'::tsvector[]", "'{16/B374D848}'::pg_lsn[]", "'{happy,sad}'::mood[]"})
    void theServersArrayTextBecomesWhatArrayToJsonWrites(String value) throws SQLException {
        String type;
        String text;
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("SET TimeZone TO 'Asia/Kathmandu'"); // +05:45, and +05:41:16 (LMT) before 1920
            try (ResultSet rs = s.executeQuery("SELECT (" + value + ")::text, t.typname FROM pg_type t"
                    + " WHERE t.oid = (SELECT typelem FROM pg_type WHERE oid = pg_typeof(" + value + "))")) {
                rs.next();
                text = rs.getString(1);
                type = rs.getString(2);
            }
        }
        String expected;
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            TypeMapping.SESSION_SETTINGS.forEach(setting -> {
                try {
                    s.execute(setting);
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            try (ResultSet rs = s.executeQuery("SELECT array_to_json(" + value + ")::text")) {
                rs.next();
                expected = rs.getString(1);
            }
        }
        ArrayJson.Element element = ArrayJson.element(type);
        if (type.equals("mood")) {
            assertThat(element).as("a user-defined element type is not converted").isNull();
            return;
        }
        assertThat(element).as("element type %s is built in", type).isNotNull();
        assertThat(ArrayJson.of(text, element, ArrayJson.delimiter(type))).as("%s printed as %s", value, text)
                .isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"'1 2 3'::int2vector", "''::int2vector", "'23 25 4294967295'::oidvector"})
    void aVectorsTextBecomesTheJsonArrayOfItsNumbers(String value) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT (" + value + ")::text, array_to_json((" + value + ")::"
                     + (value.endsWith("oidvector") ? "oid[]::bigint[]" : "int2[]") + ")::text")) {
            rs.next();
            assertThat(ArrayJson.ofVector(rs.getString(1))).isEqualTo(rs.getString(2));
        }
    }
}
