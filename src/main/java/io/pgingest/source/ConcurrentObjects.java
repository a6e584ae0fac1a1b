package io.pgingest.source;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs one piece of work per object (a table's historical load, a table-mode object run) on up to
 * {@code concurrentObjects} threads, each with a source connection of its own, taking the objects in their order.
 * <p>The first worker uses the caller's connection; every other one opens its own before it takes an object and closes
 * it at the end. A worker that cannot open one (the server's {@code max_connections}, a role's connection limit) logs
 * a warning and ends without taking an object: the others, the first always among them, load every object, only with
 * fewer at a time. With one worker (or one object) everything runs on the calling thread, as without this class.
 * <p>Once an object's work failed, no further object starts; the objects already running end, then the first failure
 * is thrown (later ones added to it as suppressed). Whichever way it ends, the objects whose work completed have been
 * added to {@code completed}, in the objects' order, so that a caller retrying after a lost connection knows which are
 * done. An interrupt of the calling thread is passed on to the workers. The work must be safe to run for different
 * objects at the same time (the destination writers and the state store are).
 */
public final class ConcurrentObjects {

    private static final Logger LOG = LoggerFactory.getLogger(ConcurrentObjects.class);

    private ConcurrentObjects() {
    }

    /** The work of one object, on a connection the worker holds for as long as it runs. */
    @FunctionalInterface
    public interface Work<T> {
        void run(Connection connection, T object) throws Exception;
    }

    /** Opens a connection to the source for one more worker. */
    @FunctionalInterface
    public interface Connections {
        Connection open() throws SQLException;
    }

    /**
     * Runs {@code work} for every object (see the class comment).
     *
     * @param threads     at most this many objects at a time (1: on the calling thread)
     * @param connection  the caller's connection, used by the first worker (not closed)
     * @param more        opens the connections of the other workers
     * @param threadName  the workers' threads are named {@code <threadName>-<n>}
     * @param completed   receives the objects whose work completed, in the objects' order
     */
    public static <T> void run(List<T> objects, int threads, Connection connection, Connections more, String threadName,
                               Work<T> work, List<T> completed) throws Exception {
        int workers = Math.max(1, Math.min(threads, objects.size()));
        if (workers == 1) {
            for (T object : objects) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new InterruptedException("stopped");
                }
                work.run(connection, object);
                completed.add(object);
            }
            return;
        }
        Run<T> run = new Run<>(objects, connection, more, work);
        List<Thread> started = new ArrayList<>(workers);
        for (int i = 0; i < workers; i++) {
            int worker = i;
            Thread t = new Thread(() -> run.work(worker), threadName + "-" + (i + 1));
            t.setDaemon(true);
            started.add(t);
            t.start();
        }
        InterruptedException interrupted = null;
        for (Thread t : started) {
            while (t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    // stopping: no further object starts, and the running ones are interrupted; they end, then this does
                    interrupted = e;
                    run.fail(e);
                    started.forEach(Thread::interrupt);
                }
            }
        }
        for (int i = 0; i < objects.size(); i++) {
            if (run.done[i]) {
                completed.add(objects.get(i));
            }
        }
        if (interrupted != null) {
            Thread.currentThread().interrupt();
            throw interrupted;
        }
        Throwable failure = run.failure;
        if (failure instanceof Error error) {
            throw error;
        }
        if (failure != null) {
            throw (Exception) failure;
        }
    }

    /** The shared state of one {@link #run}: the next object to take, which ones completed, the failures. */
    private static final class Run<T> {
        private final List<T> objects;
        private final Connection connection;
        private final Connections more;
        private final Work<T> work;
        private final AtomicInteger next = new AtomicInteger();
        /** Written by the worker that completed the object, read after every worker ended (join). */
        final boolean[] done;
        volatile Throwable failure;

        Run(List<T> objects, Connection connection, Connections more, Work<T> work) {
            this.objects = objects;
            this.connection = connection;
            this.more = more;
            this.work = work;
            this.done = new boolean[objects.size()];
        }

        void work(int worker) {
            Connection own = null;
            try {
                if (worker > 0) {
                    try {
                        own = more.open();
                    } catch (SQLException | RuntimeException e) {
                        LOG.warn("{}: cannot open source connection {} to read objects in parallel ({}); the other"
                                + " connections read them (lower concurrentObjects to stop this warning)",
                                Thread.currentThread().getName(), worker + 1, e.getMessage());
                        return;
                    }
                }
                Connection c = worker == 0 ? connection : own;
                while (failure == null && !Thread.currentThread().isInterrupted()) {
                    int k = next.getAndIncrement();
                    if (k >= objects.size()) {
                        return;
                    }
                    work.run(c, objects.get(k));
                    done[k] = true;
                }
            } catch (Throwable e) {
                fail(e); // an Error too: the object is not done, and the caller must hear why
            } finally {
                if (own != null) {
                    try {
                        own.close();
                    } catch (SQLException e) {
                        LOG.debug("closing a load connection: {}", e.getMessage());
                    }
                }
            }
        }

        synchronized void fail(Throwable e) {
            if (failure == null) {
                failure = e;
            } else if (failure != e) {
                failure.addSuppressed(e);
            }
        }
    }
}
