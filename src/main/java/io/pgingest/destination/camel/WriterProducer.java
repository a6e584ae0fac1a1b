package io.pgingest.destination.camel;

import io.pgingest.destination.DestinationWriter;
import io.pgingest.event.RowBatch;
import java.util.function.Supplier;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.InvalidPayloadException;
import org.apache.camel.support.DefaultProducer;

/**
 * Writes the {@link RowBatch} body of each exchange with a destination writer, synchronously:
 * the exchange completes only once the batch is committed, so that a source can advance its
 * position after the route returned. A body of another type fails the exchange.
 */
public final class WriterProducer extends DefaultProducer {

    private final Supplier<DestinationWriter> writer;

    public WriterProducer(Endpoint endpoint, Supplier<DestinationWriter> writer) {
        super(endpoint);
        this.writer = writer;
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        Object body = exchange.getMessage().getBody();
        if (!(body instanceof RowBatch batch)) {
            throw new InvalidPayloadException(exchange, RowBatch.class);
        }
        writer.get().write(batch);
    }
}
