package io.pgingest.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

/** {@link ConcurrentObjects} with real (in-memory H2) connections standing for the source's. */
class ConcurrentObjectsTest {

    private static final List<Integer> OBJECTS = IntStream.range(0, 12).boxed().toList();

    private final List<Connection> opened = Collections.synchronizedList(new ArrayList<>());

    private Connection open() throws SQLException {
        Connection c = DriverManager.getConnection("jdbc:h2:mem:");
        opened.add(c);
        return c;
    }

    @Test
    void runsEveryObjectOnceWithAtMostTheGivenNumberAtATimeEachWorkerOnItsOwnConnection() throws Exception {
        try (Connection caller = open()) {
            AtomicInteger running = new AtomicInteger();
            AtomicInteger most = new AtomicInteger();
            Set<Connection> used = ConcurrentHashMap.newKeySet();
            List<Integer> ran = Collections.synchronizedList(new ArrayList<>());
            Set<Thread> threads = ConcurrentHashMap.newKeySet();
            List<Integer> completed = new ArrayList<>();
            CountDownLatch firstThree = new CountDownLatch(3);

            ConcurrentObjects.run(OBJECTS, 3, caller, this::open, "test-load", (c, o) -> {
                if (o < 3) { // each on its own worker: a worker runs one object at a time
                    firstThree.countDown();
                    assertThat(firstThree.await(5, TimeUnit.SECONDS)).isTrue();
                }
                int now = running.incrementAndGet();
                most.accumulateAndGet(now, Math::max);
                assertThat(c.isClosed()).isFalse();
                used.add(c);
                threads.add(Thread.currentThread());
                Thread.sleep(30);
                ran.add(o);
                running.decrementAndGet();
            }, completed);

            assertThat(ran).containsExactlyInAnyOrderElementsOf(OBJECTS);
            assertThat(completed).as("in the objects' order").containsExactlyElementsOf(OBJECTS);
            assertThat(most.get()).as("objects at a time").isEqualTo(3);
            assertThat(used).as("the caller's connection and two opened").hasSize(3).contains(caller);
            assertThat(threads).doesNotContain(Thread.currentThread())
                    .allSatisfy(t -> assertThat(t.getName()).startsWith("test-load-"));
            assertThat(caller.isClosed()).as("the caller's connection stays open").isFalse();
            assertThat(opened.subList(1, opened.size())).as("the workers' own connections are closed")
                    .hasSize(2).allSatisfy(c -> assertThat(c.isClosed()).isTrue());
        }
    }

    @Test
    void oneAtATimeRunsOnTheCallingThreadWithTheCallersConnectionOnly() throws Exception {
        try (Connection caller = open()) {
            List<Integer> completed = new ArrayList<>();
            ConcurrentObjects.run(OBJECTS, 1, caller, () -> {
                throw new AssertionError("no other connection is opened");
            }, "test-load", (c, o) -> {
                assertThat(c).isSameAs(caller);
                assertThat(Thread.currentThread().getName()).doesNotStartWith("test-load");
            }, completed);
            assertThat(completed).containsExactlyElementsOf(OBJECTS);
        }
    }

    /** After a failure no object starts; the running ones end and are listed done; the first failure is thrown. */
    @Test
    void afterAFailureNoFurtherObjectStartsAndTheCompletedOnesAreListed() throws Exception {
        try (Connection caller = open()) {
            CountDownLatch failed = new CountDownLatch(1);
            CountDownLatch oneStarted = new CountDownLatch(1);
            List<Integer> started = Collections.synchronizedList(new ArrayList<>());
            List<Integer> completed = new ArrayList<>();

            assertThatThrownBy(() -> ConcurrentObjects.run(OBJECTS, 2, caller, this::open, "test-load", (c, o) -> {
                started.add(o);
                if (o == 0) {
                    // the other worker's object is still running when this one fails
                    assertThat(oneStarted.await(5, TimeUnit.SECONDS)).isTrue();
                    failed.countDown();
                    throw new SQLException("connection lost", "08006");
                }
                if (o == 1) {
                    oneStarted.countDown();
                    assertThat(failed.await(5, TimeUnit.SECONDS)).isTrue();
                    Thread.sleep(50);
                }
            }, completed)).isInstanceOf(SQLException.class).hasMessage("connection lost");

            assertThat(started).as("nothing starts after the failure").containsExactlyInAnyOrder(0, 1);
            assertThat(completed).as("the object running beside the failed one completed").containsExactly(1);
        }
    }

    /** A worker that cannot open its connection (max_connections reached) leaves its objects to the others. */
    @Test
    void aWorkerWithoutConnectionLeavesItsObjectsToTheOthers() throws Exception {
        try (Connection caller = open()) {
            AtomicInteger attempts = new AtomicInteger();
            List<Integer> completed = new ArrayList<>();
            ConcurrentObjects.run(OBJECTS, 4, caller, () -> {
                if (attempts.incrementAndGet() != 2) {
                    throw new SQLException("too many clients already", "53300");
                }
                return open();
            }, "test-load", (c, o) -> Thread.sleep(5), completed);
            assertThat(completed).containsExactlyElementsOf(OBJECTS);
            assertThat(attempts.get()).isEqualTo(3);
        }
    }

    /** An Error in a worker is not lost: the object is not done and the caller gets the Error. */
    @Test
    void anErrorInAWorkerReachesTheCaller() throws Exception {
        try (Connection caller = open()) {
            List<Integer> completed = new ArrayList<>();
            assertThatThrownBy(() -> ConcurrentObjects.run(OBJECTS, 3, caller, this::open, "test-load", (c, o) -> {
                if (o == 4) {
                    throw new OutOfMemoryError("test");
                }
            }, completed)).isInstanceOf(OutOfMemoryError.class);
            assertThat(completed).doesNotContain(4);
        }
    }

    /** Stopping the pipeline (an interrupt of the calling thread) reaches the workers; the caller is told. */
    @Test
    void anInterruptOfTheCallerStopsTheWorkers() throws Exception {
        try (Connection caller = open()) {
            List<Integer> started = Collections.synchronizedList(new ArrayList<>());
            List<Integer> completed = new ArrayList<>();
            Thread main = Thread.currentThread();
            Thread stopper = new Thread(() -> {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ignored) {
                    return;
                }
                main.interrupt();
            });
            stopper.start();
            assertThatThrownBy(() -> ConcurrentObjects.run(OBJECTS, 2, caller, this::open, "test-load", (c, o) -> {
                started.add(o);
                Thread.sleep(10_000); // interrupted
            }, completed)).isInstanceOf(InterruptedException.class);
            assertThat(Thread.interrupted()).as("the interrupt is kept").isTrue();
            assertThat(started).hasSize(2);
            assertThat(completed).isEmpty();
            stopper.join();
        }
    }
}
