package io.pgingest.source.table;

import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Reads keyset pages one page ahead on a second thread, so that reading the next page from
 * the source overlaps writing the current one to the destination. The next page's lower
 * bound is the current page's last cursor, known as soon as the page is read. Only the
 * reading thread uses the source connection while pages are in flight; {@link #close()}
 * waits for it. Positions are still committed by the caller, page by page, in order.
 *
 * <p>The first page is small and each next one twice as large, up to the page size: nothing
 * overlaps the first read, so a full-size first page would keep the destination idle for as
 * long as it takes to read it (about 0.4 s for 100,000 rows).
 */
final class PageAhead implements AutoCloseable {

    private final ObjectLoader loader;
    private final TableQuery query;
    private final List<String> ceiling;
    private final int pageSize;
    private final long limit;
    /** The first page's size; pages then double up to {@code pageSize}. */
    static final int FIRST_PAGE = 4_096;
    private final ExecutorService reader;
    private Future<CopyPages.Page> pending;
    private long requested;
    private int lastAsked;
    private int nextSize;

    /** Pages of at most {@code pageSize} rows, up to {@code limit} rows in all, below {@code ceiling}. */
    PageAhead(ObjectLoader loader, TableQuery query, List<String> ceiling, int pageSize, long limit) {
        this.loader = loader;
        this.query = query;
        this.ceiling = ceiling;
        this.pageSize = pageSize;
        this.limit = limit;
        this.nextSize = Math.min(pageSize, FIRST_PAGE);
        this.reader = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "pgingest-read-" + query.source().display());
            t.setDaemon(true);
            return t;
        });
    }

    void start(List<String> lower) {
        request(lower);
    }

    /** The next page, or an empty page at the end; starts reading the one after. */
    CopyPages.Page next() throws SQLException, InterruptedException {
        if (pending == null) {
            return CopyPages.Page.END;
        }
        CopyPages.Page page;
        try {
            page = pending.get();
        } catch (ExecutionException e) {
            pending = null;
            if (e.getCause() instanceof SQLException sql) {
                throw sql;
            }
            throw new IllegalStateException(e.getCause());
        }
        pending = null;
        // A short page, a page ending on the ceiling, or the row limit ends the reading.
        boolean last = page.rows().size() < lastAsked || page.lastCursor().equals(ceiling) || requested >= limit;
        if (!page.rows().isEmpty() && !last) {
            request(page.lastCursor());
        }
        return page;
    }

    private void request(List<String> lower) {
        int size = (int) Math.min(nextSize, limit - requested);
        if (size <= 0) {
            return;
        }
        nextSize = (int) Math.min(pageSize, 2L * nextSize);
        requested += size;
        lastAsked = size;
        pending = reader.submit(() -> loader.readPage(query, lower, ceiling, size));
    }

    @Override
    public void close() throws InterruptedException {
        if (pending != null) {
            try {
                pending.get();
            } catch (ExecutionException ignored) {
                // the caller is already failing or done; the read's own error is of no use now
            }
        }
        reader.shutdown();
    }
}
