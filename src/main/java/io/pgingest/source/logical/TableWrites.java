package io.pgingest.source.logical;

import io.pgingest.event.RowBatch;
import io.pgingest.event.SourceTable;
import io.pgingest.source.BatchSink;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.IntStream;

/**
 * Writes the row batches of one Debezium batch, up to {@code parallel} tables at a time: the batches of one source
 * table one after the other, in their order, and those of different tables at the same time, so that one table's
 * commit (which waits for a PostgreSQL destination's WAL flush) or statements do not wait for another's. Order
 * between tables never decided the result: every row carries its change's position, by which the destinations keep
 * the newer change of a key, and tables merged into one destination table are written in turns by the writers
 * (a DuckDB file takes one writer at a time anyway). What does change: a reader of the destination may see one table's
 * changes of a batch committed before those of a table whose changes came earlier. With {@code parallel} 1, or a batch
 * of one table, everything runs on the calling thread, in the batches' order.
 * <p>A {@link Plan} remembers which batches were written, so that a retry after a failure writes only the others. Its
 * tables whose write did not fail are written to their end even when another failed (less to write again).
 */
final class TableWrites implements AutoCloseable {

    private final BatchSink sink;
    private final int parallel;
    private final String threadName;
    private final AtomicInteger threads = new AtomicInteger();
    /** The threads that write beside the caller, made at the first batch of several tables. */
    private ExecutorService pool;

    /**
     * @param parallel   at most this many tables at a time (the pipeline's {@code concurrentObjects})
     * @param threadName the writing threads are named {@code <threadName>-<n>}
     */
    TableWrites(BatchSink sink, int parallel, String threadName) {
        this.sink = sink;
        this.parallel = Math.max(1, parallel);
        this.threadName = threadName;
    }

    /** The batches of one Debezium batch, by source table, and which ones were written. */
    static final class Plan {
        private final List<RowBatch> batches;
        /** Per source table, in the order of its first batch: the indexes of its batches, in their order. */
        private final List<List<Integer>> tables;
        /** Per batch: written (set by the thread writing its table, read after that thread ended). */
        private final boolean[] written;

        Plan(List<RowBatch> batches) {
            this.batches = List.copyOf(batches);
            Map<SourceTable, List<Integer>> byTable = new LinkedHashMap<>();
            for (int i = 0; i < batches.size(); i++) {
                byTable.computeIfAbsent(batches.get(i).source(), t -> new ArrayList<>(1)).add(i);
            }
            tables = List.copyOf(byTable.values());
            written = new boolean[batches.size()];
        }

        /** Whether a batch written so far matches. */
        boolean anyWritten(Predicate<RowBatch> test) {
            for (int i = 0; i < batches.size(); i++) {
                if (written[i] && test.test(batches.get(i))) {
                    return true;
                }
            }
            return false;
        }

        /** The tables with batches not written yet. */
        private List<Integer> pendingTables() {
            List<Integer> pending = new ArrayList<>();
            for (int t = 0; t < tables.size(); t++) {
                for (int i : tables.get(t)) {
                    if (!written[i]) {
                        pending.add(t);
                        break;
                    }
                }
            }
            return pending;
        }

        /** Writes the batches {@code indexes} not written yet, in their order; throws the first failure, naming its batch. */
        private void write(List<Integer> indexes, BatchSink sink) throws Failed, InterruptedException {
            for (int i : indexes) {
                if (written[i]) {
                    continue;
                }
                try {
                    sink.accept(batches.get(i));
                } catch (InterruptedException e) {
                    throw e;
                } catch (Exception e) {
                    throw new Failed(batches.get(i), e);
                }
                written[i] = true;
            }
        }

        /** The first batch of table {@code t} not written. */
        private RowBatch firstUnwritten(int t) {
            return tables.get(t).stream().filter(i -> !written[i]).map(batches::get).findFirst().orElseThrow();
        }
    }

    /** A batch whose write failed, and why (the cause). */
    static final class Failed extends Exception {
        private final transient RowBatch batch;

        Failed(RowBatch batch, Exception cause) {
            super(cause.getMessage(), cause, false, false);
            this.batch = batch;
        }

        RowBatch batch() {
            return batch;
        }
    }

    /**
     * Writes the plan's batches not written yet, returning once every one was committed; else throws the failure of the
     * first table (in the batch's order) whose write failed, once every table being written ended.
     */
    void write(Plan plan) throws Failed, InterruptedException {
        List<Integer> pending = plan.pendingTables();
        int workers = Math.min(parallel, pending.size());
        if (workers <= 1) {
            // one at a time: in the batches' order, as they came
            plan.write(IntStream.range(0, plan.batches.size()).boxed().toList(), sink);
            return;
        }
        // the caller writes too: workers - 1 tasks beside it, each taking the next table until none is left
        AtomicInteger next = new AtomicInteger();
        Throwable[] failures = new Throwable[plan.tables.size()];
        Runnable work = () -> {
            for (int k; (k = next.getAndIncrement()) < pending.size(); ) {
                int t = pending.get(k);
                try {
                    plan.write(plan.tables.get(t), sink);
                } catch (InterruptedException e) {
                    failures[t] = e;
                    Thread.currentThread().interrupt();
                    return;
                } catch (Throwable e) {
                    failures[t] = e; // an Error too: the table is not written, and the caller must hear why
                }
            }
        };
        List<Future<?>> helpers = new ArrayList<>(workers - 1);
        ExecutorService p = pool();
        for (int i = 1; i < workers; i++) {
            helpers.add(p.submit(work));
        }
        work.run();
        InterruptedException interrupted = Thread.interrupted() ? new InterruptedException("stopped") : null;
        for (Future<?> f : helpers) {
            if (interrupted != null) {
                // stopping: the other tables' writes are interrupted and not waited for; the batch is not
                // acknowledged, so what they wrote is written again after the restart
                helpers.forEach(h -> h.cancel(true));
                break;
            }
            try {
                f.get(); // the tasks catch what they throw: this only waits (and orders their writes before what follows)
            } catch (InterruptedException e) {
                interrupted = e;
            } catch (CancellationException | ExecutionException e) {
                // not thrown: nothing cancels them but the caller's interrupt, and the tasks catch everything
            }
        }
        if (interrupted != null) {
            Thread.currentThread().interrupt();
            throw interrupted;
        }
        for (int t : pending) {
            Throwable e = failures[t];
            if (e instanceof Failed failed) {
                throw failed;
            } else if (e instanceof InterruptedException ie) {
                throw ie;
            } else if (e instanceof Error error) {
                throw error;
            } else if (e != null) {
                throw new Failed(plan.firstUnwritten(t), (Exception) e);
            }
        }
    }

    private synchronized ExecutorService pool() {
        if (pool == null) {
            // threads that end after a minute without a batch of several tables (and so with a pipeline that ended
            // without closing this)
            ThreadPoolExecutor threadPool = new ThreadPoolExecutor(parallel - 1, parallel - 1, 60, TimeUnit.SECONDS,
                    new LinkedBlockingQueue<>(), r -> {
                        Thread thread = new Thread(r, threadName + "-" + threads.incrementAndGet());
                        thread.setDaemon(true);
                        return thread;
                    });
            threadPool.allowCoreThreadTimeOut(true);
            pool = threadPool;
        }
        return pool;
    }

    /** Ends the writing threads (after the last batch: the engine stopped). */
    @Override
    public synchronized void close() {
        if (pool != null) {
            pool.shutdownNow();
            try {
                pool.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            pool = null;
        }
    }
}
