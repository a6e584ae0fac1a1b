package io.pgingest.mapping;

import io.pgingest.event.Column;
import io.pgingest.event.LogicalType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TypeMappingTest {

    private static Column column(String sourceType) {
        return new Column("c", sourceType, null, -1, -1, true);
    }

    /** Every built-in base, range and multirange type of PostgreSQL 15 (pg_type, typtype b/r/m, not arrays). */
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            boolean                      | BOOLEAN
            smallint                     | INT16
            integer                      | INT32
            bigint                       | INT64
            oid                          | INT64
            xid                          | INT64
            cid                          | INT64
            xid8                         | DECIMAL
            real                         | FLOAT32
            double precision             | FLOAT64
            numeric                      | DECIMAL
            money                        | DECIMAL
            text                         | TEXT
            character varying            | TEXT
            character                    | TEXT
            name                         | TEXT
            '"char"'                     | TEXT
            refcursor                    | TEXT
            json                         | JSON
            jsonb                        | JSON
            int2vector                   | JSON
            oidvector                    | JSON
            bytea                        | BYTES
            date                         | DATE
            time without time zone       | TIME
            time with time zone          | TIMETZ
            timestamp without time zone  | TIMESTAMP
            timestamp with time zone     | TIMESTAMPTZ
            interval                     | INTERVAL
            uuid                         | UUID
            point                        | TEXT
            line                         | TEXT
            lseg                         | TEXT
            box                          | TEXT
            path                         | TEXT
            polygon                      | TEXT
            circle                       | TEXT
            inet                         | TEXT
            cidr                         | TEXT
            macaddr                      | TEXT
            macaddr8                     | TEXT
            bit                          | TEXT
            bit varying                  | TEXT
            tsvector                     | TEXT
            tsquery                      | TEXT
            gtsvector                    | TEXT
            xml                          | TEXT
            jsonpath                     | TEXT
            pg_lsn                       | TEXT
            pg_snapshot                  | TEXT
            txid_snapshot                | TEXT
            tid                          | TEXT
            aclitem                      | TEXT
            regclass                     | TEXT
            regcollation                 | TEXT
            regconfig                    | TEXT
            regdictionary                | TEXT
            regnamespace                 | TEXT
            regoper                      | TEXT
            regoperator                  | TEXT
            regproc                      | TEXT
            regprocedure                 | TEXT
            regrole                      | TEXT
            regtype                      | TEXT
            int4range                    | TEXT
            int8range                    | TEXT
            numrange                     | TEXT
            daterange                    | TEXT
            tsrange                      | TEXT
            tstzrange                    | TEXT
            int4multirange               | TEXT
            int8multirange               | TEXT
            nummultirange                | TEXT
            datemultirange               | TEXT
            tsmultirange                 | TEXT
            tstzmultirange               | TEXT
            pg_node_tree                 | TEXT
            pg_ndistinct                 | TEXT
            pg_dependencies              | TEXT
            pg_mcv_list                  | TEXT
            pg_brin_bloom_summary        | TEXT
            pg_brin_minmax_multi_summary | TEXT
            """)
    void everyBuiltInTypeHasADefinedLogicalType(String sourceType, LogicalType expected) {
        assertThat(TypeMapping.resolve(column(sourceType)).type()).as("logical type of %s", sourceType)
                .isEqualTo(expected);
        assertThat(TypeMapping.isBuiltIn(sourceType)).as("%s is known as a built-in type", sourceType).isTrue();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            int2                               | INT16
            int4                               | INT32
            int8                               | INT64
            float4                             | FLOAT32
            float8                             | FLOAT64
            bool                               | BOOLEAN
            varchar                            | TEXT
            bpchar                             | TEXT
            timestamptz                        | TIMESTAMPTZ
            timetz                             | TIMETZ
            decimal                            | DECIMAL
            character varying(20)              | TEXT
            character(5)                       | TEXT
            timestamp(3) with time zone        | TIMESTAMPTZ
            timestamp(0) without time zone     | TIMESTAMP
            time(2) with time zone             | TIMETZ
            time(6) without time zone          | TIME
            interval year to month             | INTERVAL
            interval(3)                        | INTERVAL
            interval day to second(3)          | INTERVAL
            bit(8)                             | TEXT
            bit varying(8)                     | TEXT
            INTEGER                            | INT32
            pg_catalog.int4                    | INT32
            """)
    void aliasesAndTypeModifiersResolveLikeTheBaseType(String sourceType, LogicalType expected) {
        assertThat(TypeMapping.resolve(column(sourceType)).type()).as("logical type of %s", sourceType)
                .isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} -> DECIMAL({1},{2})")
    @CsvSource(delimiter = '|', textBlock = """
            numeric(12,2)    | 12 | 2
            numeric(12, 2)   | 12 | 2
            numeric(7)       | 7  | 0
            numeric          | -1 | -1
            numeric(1000,20) | 1000 | 20
            numeric(5,-2)    | 7  | 0
            numeric(2,5)     | 5  | 5
            money            | 19 | 2
            xid8             | 20 | 0
            """)
    void decimalPrecisionAndScaleComeFromTheTypeModifier(String sourceType, int precision, int scale) {
        Column c = TypeMapping.resolve(column(sourceType));
        assertThat(c.type()).isEqualTo(LogicalType.DECIMAL);
        assertThat(c.precision()).as("precision of %s", sourceType).isEqualTo(precision);
        assertThat(c.scale()).as("scale of %s", sourceType).isEqualTo(scale);
    }

    @ParameterizedTest
    @ValueSource(strings = {"integer[]", "text[]", "character varying(20)[]", "numeric(10,2)[]",
            "timestamp(3) with time zone[]", "\"MyEnum\"[]", "integer[][]", "jsonb[]"})
    void arraysAreJsonArrays(String sourceType) {
        Column c = TypeMapping.resolve(column(sourceType));
        assertThat(c.type()).as("arrays hold JSON array text").isEqualTo(LogicalType.JSON);
        assertThat(c.precision()).as("arrays carry no precision").isEqualTo(-1);
        assertThat(TypeMapping.isArray(c)).isTrue();
        assertThat(TypeMapping.selectExpression(c)).isEqualTo("array_to_json(\"c\")::text AS \"c\"");
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"MyEnum\"", "mood", "public.mood", "\"My Schema\".\"Composite\"", "citext",
            "hstore", "geometry(Point,4326)", "ltree"})
    void userAndExtensionTypesAreTextReadThroughTheirTextForm(String sourceType) {
        Column c = TypeMapping.resolve(column(sourceType));
        assertThat(c.type()).isEqualTo(LogicalType.TEXT);
        assertThat(TypeMapping.isBuiltIn(sourceType)).as("%s is not built in", sourceType).isFalse();
        assertThat(TypeMapping.selectExpression(c)).isEqualTo("\"c\"::text AS \"c\"");
        assertThat(TypeMapping.postgresNativeType(c)).as("user types are text in a PostgreSQL destination")
                .isEmpty();
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            integer                     | "c" AS "c"
            character(5)                | "c" AS "c"
            money                       | "c"::numeric AS "c"
            oid                         | "c"::bigint AS "c"
            xid                         | "c"::text::bigint AS "c"
            xid8                        | "c"::text::numeric AS "c"
            inet                        | abbrev("c") AS "c"
            cidr                        | "c"::text AS "c"
            int2vector                  | array_to_json("c"::smallint[])::text AS "c"
            oidvector                   | array_to_json("c"::oid[]::bigint[])::text AS "c"
            timestamp with time zone    | "c" AS "c"
            """)
    void selectExpressionReadsEachTypePredictably(String sourceType, String expected) {
        assertThat(TypeMapping.selectExpression(TypeMapping.resolve(column(sourceType)))).isEqualTo(expected);
    }

    @Test
    void selectExpressionQuotesTheColumnName() {
        Column c = TypeMapping.resolve(new Column("We\"ird", "text[]", null, -1, -1, true));
        assertThat(TypeMapping.selectExpression(c)).isEqualTo("array_to_json(\"We\"\"ird\")::text AS \"We\"\"ird\"");
    }

    @Test
    void intervalsAreSelectedAsNumbersIndependentOfIntervalStyle() {
        String expr = TypeMapping.selectExpression(TypeMapping.resolve(column("interval")));
        assertThat(expr).as("no interval text output is involved for finite intervals")
                .startsWith("CASE WHEN isfinite(\"c\") THEN (extract(year from \"c\")").endsWith("END AS \"c\"");
    }

    @Test
    void postgresDestinationKeepsBuiltInTypesThatAcceptTheirText() {
        assertThat(TypeMapping.postgresNativeType(column("inet"))).contains("inet");
        assertThat(TypeMapping.postgresNativeType(column("bit varying(8)"))).contains("bit varying(8)");
        assertThat(TypeMapping.postgresNativeType(column("tstzrange"))).contains("tstzrange");
        assertThat(TypeMapping.postgresNativeType(column("regclass"))).as("names of source objects").isEmpty();
        assertThat(TypeMapping.postgresNativeType(column("inet[]"))).as("arrays are varchar").isEmpty();
        assertThat(TypeMapping.postgresNativeType(column("text"))).isEmpty();
    }

    @Test
    void readerRefusesAnUnresolvedColumn() {
        assertThatThrownBy(() -> TypeMapping.reader(column("integer")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("TypeMapping.resolve");
    }

    @Test
    void resolveKeepsNameAndNullability() {
        Column c = TypeMapping.resolve(new Column("amount", "numeric(12,2)", null, -1, -1, false));
        assertThat(c).isEqualTo(new Column("amount", "numeric(12,2)", LogicalType.DECIMAL, 12, 2, false));
    }
}
