package io.pgingest.source.table;

import io.pgingest.catalog.Catalog;
import io.pgingest.pipeline.PipelineSettings;
import io.pgingest.testsupport.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The rows per page of a historical load when {@code batchSize} is not set come from the table's size over its row
 * count: about {@link TableSource#HISTORICAL_PAGE_BYTES} of rows. Before the twentieth session a table that is not
 * partitioned counted as size 0 (pg_partition_tree lists nothing for it), so every such table got the largest page,
 * 131,072 rows, whatever its rows weighed: 1.3 GB for rows of 10 kB.
 */
class HistoricalPageSizeIT {

    private TestDatabase db;

    @BeforeEach
    void setUp() {
        db = TestDatabase.create("pagesize");
        // rows of about 2 kB (random text, which does not compress), 3,000 of them: about 12,000 per 24 MB page
        db.execute("CREATE TABLE wide (id int PRIMARY KEY, body text)",
                "INSERT INTO wide SELECT g, (SELECT string_agg(md5(g::text || i::text), '') FROM generate_series(1, 64) i)"
                        + " FROM generate_series(1, 3000) g",
                "CREATE TABLE parts (id int PRIMARY KEY, body text) PARTITION BY RANGE (id)",
                "CREATE TABLE parts_1 PARTITION OF parts FOR VALUES FROM (0) TO (2000)",
                "CREATE TABLE parts_2 PARTITION OF parts FOR VALUES FROM (2000) TO (4000)",
                "INSERT INTO parts SELECT id, body FROM wide", "ANALYZE wide", "ANALYZE parts");
    }

    @AfterEach
    void tearDown() {
        db.close();
    }

    @Test
    void wideRowsGetSmallerPagesPartitionedOrNot() throws Exception {
        PipelineSettings settings = PipelineSettings.parse("pages", Map.of("mode", "table", "host", TestDatabase.HOST,
                "port", Integer.toString(TestDatabase.PORT), "database", db.name(), "user", TestDatabase.USER,
                "password", TestDatabase.PASSWORD));
        try (Connection c = db.connect()) {
            TableSource source = new TableSource(settings, null);
            int plain = source.pageSize(c, Catalog.describe(c, db.name(), "public", "wide"));
            int partitioned = source.pageSize(c, Catalog.describe(c, db.name(), "public", "parts"));
            assertThat(plain).as("about 24 MB of 2 kB rows").isBetween(8_000, 16_000);
            assertThat(partitioned).as("the same rows in two partitions").isBetween(8_000, 16_000);
        }
    }
}
