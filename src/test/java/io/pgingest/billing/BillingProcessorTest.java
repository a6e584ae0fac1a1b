package io.pgingest.billing;

import io.pgingest.event.LoadKind;
import io.pgingest.event.RowBatch;
import io.pgingest.state.JdbcStateStore;
import io.pgingest.state.StateStore.Counters;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.InvalidPayloadException;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BillingProcessorTest {

    @TempDir
    Path dir;

    private String url() {
        return "jdbc:h2:file:" + dir.resolve("state").toAbsolutePath();
    }

    @Test
    void countsTheBodyAsLoadedAndLeavesItUnchanged() throws Exception {
        RowBatch body = BillingCountersTest.batch("orders", LoadKind.INCREMENTAL, 3);
        try (CamelContext camel = new DefaultCamelContext(); JdbcStateStore store = JdbcStateStore.open(url(), "sa", "")) {
            Exchange exchange = new DefaultExchange(camel);
            exchange.getIn().setBody(body);

            new BillingProcessor(store).process(exchange);

            assertThat(exchange.getIn().getBody()).as("body passes through").isSameAs(body);
            assertThat(store.counters("shop-pipeline")).singleElement()
                    .extracting(r -> r.counters()).isEqualTo(new Counters(3, 3, 0, 3));
        }
        try (JdbcStateStore reopened = JdbcStateStore.open(url(), "sa", "")) {
            assertThat(reopened.counters("shop-pipeline")).as("counters survive a restart").hasSize(1);
        }
    }

    @Test
    void aBodyThatIsNotABatchIsRejected() throws Exception {
        try (CamelContext camel = new DefaultCamelContext(); JdbcStateStore store = JdbcStateStore.open(url(), "sa", "")) {
            Exchange exchange = new DefaultExchange(camel);
            exchange.getIn().setBody("not a batch");

            assertThatThrownBy(() -> new BillingProcessor(store).process(exchange))
                    .isInstanceOf(InvalidPayloadException.class);
        }
    }
}
