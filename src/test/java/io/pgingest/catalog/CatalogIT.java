package io.pgingest.catalog;

import io.pgingest.event.Column;
import io.pgingest.testsupport.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.sql.Connection;
import java.sql.Statement;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CatalogIT {

    private static TestDatabase db;
    private static Connection c;

    @BeforeAll
    static void createObjects() throws Exception {
        db = TestDatabase.create("catalog");
        db.execute(
                "CREATE TABLE public.plain (id bigint PRIMARY KEY, name text)",
                "CREATE TABLE public.\"Order Items\" (\"Order Id\" int, \"Line\" int, qty int NOT NULL,"
                        + " PRIMARY KEY (\"Line\", \"Order Id\"))",
                "CREATE SCHEMA \"MixedCase\"",
                "CREATE TABLE \"MixedCase\".\"Tbl\" (\"Id\" int PRIMARY KEY)",
                "CREATE TABLE public.no_key (a int, b text)",
                "CREATE TABLE public.unique_fallback (nullable_u int UNIQUE, partial_u int NOT NULL,"
                        + " expr_u text NOT NULL, z int NOT NULL, y int NOT NULL, payload text)",
                "CREATE UNIQUE INDEX a_partial ON public.unique_fallback (partial_u) WHERE partial_u > 0",
                "CREATE UNIQUE INDEX a_expr ON public.unique_fallback (lower(expr_u))",
                "CREATE UNIQUE INDEX c_zy ON public.unique_fallback (z, y)",
                "CREATE UNIQUE INDEX d_y ON public.unique_fallback (y) INCLUDE (payload)",
                "CREATE UNLOGGED TABLE public.fast (id int PRIMARY KEY)",
                "CREATE TABLE public.events (id int NOT NULL, at date NOT NULL, PRIMARY KEY (id, at))"
                        + " PARTITION BY RANGE (at)",
                "CREATE TABLE public.events_2023 PARTITION OF public.events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01')",
                "CREATE TABLE public.events_2024 PARTITION OF public.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')"
                        + " PARTITION BY RANGE (id)",
                "CREATE TABLE public.events_2024_low PARTITION OF public.events_2024 FOR VALUES FROM (0) TO (1000000)",
                "INSERT INTO public.events SELECT g, DATE '2023-06-01' + (g % 400) FROM generate_series(1, 2000) g",
                "INSERT INTO public.plain SELECT g, 'n' FROM generate_series(1, 300) g",
                "ANALYZE",
                "CREATE VIEW public.v_plain AS SELECT * FROM public.plain",
                "CREATE MATERIALIZED VIEW public.mv_plain AS SELECT * FROM public.plain",
                "CREATE FOREIGN DATA WRAPPER dummy",
                "CREATE SERVER dummy_server FOREIGN DATA WRAPPER dummy",
                "CREATE FOREIGN TABLE public.remote (a int) SERVER dummy_server",
                "CREATE SEQUENCE public.counter_seq",
                "CREATE DOMAIN positive AS integer NOT NULL CHECK (VALUE > 0)",
                "CREATE DOMAIN small_positive AS positive",
                "CREATE DOMAIN code AS varchar(10)",
                "CREATE DOMAIN amounts AS numeric(12,2)[]",
                "CREATE TYPE mood AS ENUM ('ok', 'sad')",
                "CREATE TABLE public.typed (a small_positive, b code, c amounts, d code[], gone int,"
                        + " e numeric(12,3), f \"char\", g timestamptz(3), h mood, i text NOT NULL)",
                "ALTER TABLE public.typed DROP COLUMN gone");
        c = db.connect();
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TEMPORARY TABLE scratch (id int PRIMARY KEY)");
        }
    }

    @AfterAll
    static void dropDatabase() throws Exception {
        c.close();
        db.close();
    }

    @Test
    void listsOnlyReplicableTablesOrderedBySchemaAndName() {
        List<String> names = Catalog.listTables(c, db.name(), List.of()).stream()
                .map(t -> t.table().display()).toList();

        assertThat(names).as("tables and partitioned roots; no partitions, views, matviews, foreign, temporary"
                + " tables or sequences; byte order by schema then table").containsExactly(
                "MixedCase.Tbl", "public.Order Items", "public.events", "public.fast", "public.no_key",
                "public.plain", "public.typed", "public.unique_fallback");
    }

    @Test
    void listFiltersBySchemaAndRecordsTheDatabase() {
        List<TableInfo> tables = Catalog.listTables(c, db.name(), List.of("MixedCase"));

        assertThat(tables).extracting(t -> t.table().display()).containsExactly("MixedCase.Tbl");
        assertThat(tables.get(0).table().database()).isEqualTo(db.name());
        assertThat(tables.get(0).keyColumns()).as("listing fills in keys too").containsExactly("Id");
    }

    @Test
    void listingAndDescribingAgree() {
        TableInfo listed = Catalog.listTables(c, db.name(), List.of("public")).stream()
                .filter(t -> t.table().table().equals("unique_fallback")).findFirst().orElseThrow();
        assertThat(listed).isEqualTo(Catalog.describe(c, db.name(), "public", "unique_fallback"));
    }

    @Test
    void quotedMixedCaseNamesAreDescribedExactly() {
        TableInfo items = Catalog.describe(c, db.name(), "public", "Order Items");
        assertThat(items.columns()).extracting(Column::name).containsExactly("Order Id", "Line", "qty");
        assertThat(items.keyColumns()).as("composite key in index order, not column order")
                .containsExactly("Line", "Order Id");
        assertThat(items.primaryKey()).isTrue();

        TableInfo tbl = Catalog.describe(c, db.name(), "MixedCase", "Tbl");
        assertThat(tbl.table().schema()).isEqualTo("MixedCase");
        assertThat(tbl.keyColumns()).containsExactly("Id");
    }

    @Test
    void firstUsableUniqueIndexByNameIsTheKeyWithoutPrimaryKey() {
        TableInfo t = Catalog.describe(c, db.name(), "public", "unique_fallback");
        assertThat(t.keyColumns()).as("nullable, partial and expression indexes skipped; c_zy before d_y")
                .containsExactly("z", "y");
        assertThat(t.primaryKey()).as("a unique index is not a primary key").isFalse();
    }

    @Test
    void tableWithoutKeyHasNoKeyColumns() {
        TableInfo t = Catalog.describe(c, db.name(), "public", "no_key");
        assertThat(t.keyColumns()).isEmpty();
        assertThat(t.primaryKey()).isFalse();
        assertThat(t.estimatedRows()).as("never analyzed with rows: not negative").isZero();
    }

    @Test
    void partitionedRootCarriesKeyAndSumOfLeafEstimates() {
        TableInfo t = Catalog.describe(c, db.name(), "public", "events");
        assertThat(t.partitioned()).isTrue();
        assertThat(t.keyColumns()).as("the partitioned primary key").containsExactly("id", "at");
        assertThat(t.primaryKey()).isTrue();
        assertThat(t.estimatedRows()).as("summed over leaf partitions at two levels").isEqualTo(2000);
        assertThat(Catalog.describe(c, db.name(), "public", "plain").estimatedRows()).isEqualTo(300);
    }

    @Test
    void unloggedTablesAreListedAndFlagged() {
        assertThat(Catalog.describe(c, db.name(), "public", "fast").unlogged()).isTrue();
        assertThat(Catalog.describe(c, db.name(), "public", "plain").unlogged()).isFalse();
    }

    @Test
    void columnTypesResolveDomainsAndSkipDroppedColumns() {
        TableInfo t = Catalog.describe(c, db.name(), "public", "typed");
        assertThat(t.columns()).as("attnum order, dropped column gone, domains resolved to base types").containsExactly(
                new Column("a", "integer", null, -1, -1, false),
                new Column("b", "character varying(10)", null, -1, -1, true),
                new Column("c", "numeric(12,2)[]", null, -1, -1, true),
                new Column("d", "character varying(10)[]", null, -1, -1, true),
                new Column("e", "numeric(12,3)", null, -1, -1, true),
                new Column("f", "\"char\"", null, -1, -1, true),
                new Column("g", "timestamp(3) with time zone", null, -1, -1, true),
                new Column("h", "mood", null, -1, -1, true),
                new Column("i", "text", null, -1, -1, false));
    }

    @ParameterizedTest(name = "{0}.{1}")
    @CsvSource(delimiter = '|', value = {
            "public|v_plain|is a view; views are not replicated; use a custom-sql pipeline to read a view",
            "public|mv_plain|is a materialized view",
            "public|remote|is a foreign table",
            "public|counter_seq|is a sequence",
            "public|events_2023|is a partition of public.events; partitions are loaded through their partitioned"
                    + " table: name the partitioned table public.events instead",
            "public|events_2024_low|name the partitioned table public.events instead",
            "pg_temp|scratch|is a temporary table",
            "pg_catalog|pg_class|system catalogs are not replicated",
    })
    void describeRejectsWhatIsNotReplicatedWithAReason(String schema, String table, String reason) {
        assertThatThrownBy(() -> Catalog.describe(c, db.name(), schema, table))
                .isInstanceOf(CatalogException.class)
                .hasMessageStartingWith(schema + "." + table + " in database " + db.name())
                .hasMessageContaining(reason);
    }

    @Test
    void describeOfAMissingTableSuggestsCloseNames() {
        assertThatThrownBy(() -> Catalog.describe(c, db.name(), "public", "order items"))
                .isInstanceOf(CatalogException.class)
                .hasMessageContaining("table public.order items does not exist in database " + db.name())
                .hasMessageContaining("did you mean public.Order Items?");
        assertThatThrownBy(() -> Catalog.describe(c, db.name(), "public", "nothing_like_it"))
                .isInstanceOf(CatalogException.class)
                .hasMessageContaining("does not exist").hasMessageNotContaining("did you mean");
    }
}
