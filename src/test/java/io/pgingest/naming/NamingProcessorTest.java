package io.pgingest.naming;

import io.pgingest.event.Column;
import io.pgingest.event.LoadKind;
import io.pgingest.event.Metadata;
import io.pgingest.event.RowBatch;
import io.pgingest.event.SourceTable;
import io.pgingest.event.WriteMode;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class NamingProcessorTest {

    private final CamelContext camel = new DefaultCamelContext();
    private final NamingProcessor processor = new NamingProcessor();

    @AfterEach
    void stopCamel() throws Exception {
        camel.close();
    }

    private static RowBatch batch(String database) {
        List<Column> columns = List.of(new Column("Order Id", "integer", null, -1, -1, false),
                new Column("_pgingest_deleted", "boolean", null, -1, -1, true),
                new Column("Total €", "numeric(12,2)", null, -1, -1, true));
        List<Object[]> rows = List.<Object[]>of(new Object[]{1, true, null});
        return new RowBatch("p", new SourceTable(database, "Sales", "Order Items"), null, columns,
                List.of("Order Id"), rows, LoadKind.INCREMENTAL, WriteMode.UPSERT, 7L, Instant.EPOCH,
                Map.of("keep", "me"), false);
    }

    private RowBatch process(RowBatch body, Object mergeHeader) throws Exception {
        Exchange exchange = new DefaultExchange(camel);
        exchange.getIn().setBody(body);
        if (mergeHeader != null) {
            exchange.getIn().setHeader(NamingProcessor.MERGE_TABLES_HEADER, mergeHeader);
        }
        processor.process(exchange);
        return exchange.getIn().getBody(RowBatch.class);
    }

    @Test
    void mergeTablesIsOnWhenTheHeaderIsAbsent() throws Exception {
        RowBatch source = batch("shop");
        RowBatch named = process(source, null);

        assertThat(named.target()).isEqualTo("sales_order_items");
        assertThat(named.columns()).extracting(Column::name).as("columns renamed, reserved name escaped")
                .containsExactly("order_id", "src_pgingest_deleted", "total");
        assertThat(named.keyColumns()).as("keys renamed like their columns").containsExactly("order_id");
        assertThat(named.constants()).as("source database added, existing constants kept")
                .containsEntry(Metadata.DATABASE, "shop").containsEntry("keep", "me");
        assertThat(named.columns().get(2).sourceType()).as("only the name changes").isEqualTo("numeric(12,2)");
        assertThat(named.rows()).as("rows shared, not copied").isSameAs(source.rows());
    }

    @Test
    void mergeTablesOffPrefixesTheDatabaseAndAddsNoDatabaseColumn() throws Exception {
        RowBatch named = process(batch("Shop"), "false");

        assertThat(named.target()).isEqualTo("shop_sales_order_items");
        assertThat(named.constants()).as("no _pgingest_database without merge tables")
                .doesNotContainKey(Metadata.DATABASE).containsEntry("keep", "me");
    }

    @Test
    void cachedNamesFollowTheSourceTableAndColumns() throws Exception {
        RowBatch first = process(batch("a"), Boolean.TRUE);
        RowBatch again = process(batch("b"), Boolean.TRUE);
        RowBatch unmerged = process(batch("b"), Boolean.FALSE);

        assertThat(first.constants()).containsEntry(Metadata.DATABASE, "a");
        assertThat(again.constants()).as("per-batch database, not cached").containsEntry(Metadata.DATABASE, "b");
        assertThat(unmerged.target()).as("merge setting is part of the cache key").isEqualTo("b_sales_order_items");
    }
}
