package io.pgingest;

import io.pgingest.ops.Command;
import io.pgingest.pipeline.PipelineConfigException;
import io.pgingest.pipeline.RouteFiles;
import io.pgingest.pipeline.RunOnce;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * The pg-ingest application: Camel Main reading {@code config/application.properties} and
 * the pipelines in {@code routes/*.camel.yaml}. Options besides Camel Main's own
 * ({@code -pl <properties location>}, {@code -h}, ...): {@code --once} runs every pipeline
 * one pass and exits with 0 only when every object succeeded; the operator commands {@code --status}, {@code --check [PIPELINE]},
 * {@code --delete-pipeline NAME}, and {@code --restart-historical-load}, {@code --include-object}, {@code --skip-object},
 * {@code --pause-object}, {@code --resume-object} with {@code PIPELINE OBJECT} ({@link Command})
 * create the pipelines' routes without starting them, run, and exit.
 * <p>Exit codes: 0 success, 1 a pipeline or command failed, 2 invalid configuration, usage or start failure,
 * 3 {@code --once} found no pipeline, 4 a command refused because the pipeline is running.
 */
public final class PgIngest {

    /** Exit code of an invalid configuration or a failed start. */
    public static final int CONFIG_ERROR = 2;
    static final String DEFAULT_CONFIG = "file:config/application.properties;optional=true";

    private PgIngest() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the application until it stops; returns the exit code. */
    public static int run(String[] args) {
        return run(args, main -> { });
    }

    /**
     * Runs the application until it stops and returns the exit code; {@code created} receives the Camel Main before it
     * starts (an embedding program or a test may keep it to stop the application with {@link Main#completed()}).
     */
    public static int run(String[] args, Consumer<Main> created) {
        List<String> rest = new ArrayList<>(Arrays.asList(args));
        boolean once = rest.remove("--once");
        Command command;
        try {
            command = Command.parse(rest);
        } catch (IllegalArgumentException e) {
            System.err.println("pg-ingest: " + e.getMessage());
            return CONFIG_ERROR;
        }
        if (command != null && once) {
            System.err.println("pg-ingest: --once cannot be combined with an operator command (--status, --check, --delete-pipeline, --restart-historical-load, --include-object, --skip-object, --pause-object, --resume-object); give one of them");
            return CONFIG_ERROR;
        }
        Main main = new Main();
        created.accept(main);
        main.setDefaultPropertyPlaceholderLocation(DEFAULT_CONFIG);
        main.configure().setSourceLocationEnabled(true);
        main.configure().addConfiguration(new PgIngestConfiguration());
        main.addMainListener(new MainListenerSupport() {
            @Override
            public void beforeStart(BaseMainSupport configured) {
                try {
                    main.bind("pgRouteFiles", RouteFiles.scan(configured.configure().getRoutesIncludePattern()));
                } catch (IOException | IllegalArgumentException e) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
            }
        });
        int[] commandCode = {Command.FAILED};
        if (command != null) {
            // the routes are created (templates, placeholders) but no pipeline runs
            main.configure().setAutoStartup(false);
            main.addMainListener(new MainListenerSupport() {
                @Override
                public void afterStart(BaseMainSupport started) {
                    try {
                        commandCode[0] = command.run(started.getCamelContext(), System.out, System.err);
                    } finally {
                        main.completed();
                    }
                }
            });
        }
        RunOnce runOnce = once ? new RunOnce(main::completed) : null;
        if (runOnce != null) {
            main.bind("pgRunOnce", runOnce);
            main.addMainListener(new MainListenerSupport() {
                @Override
                public void afterStart(BaseMainSupport started) {
                    runOnce.contextStarted();
                }
            });
        }
        int code;
        try {
            code = main.run(rest.toArray(new String[0]));
        } catch (Exception e) {
            System.err.println("pg-ingest: " + describe(e));
            return CONFIG_ERROR;
        }
        if (code != 0 || main.getCamelContext() == null) {
            return code != 0 ? code : CONFIG_ERROR;
        }
        if (command != null) {
            return commandCode[0];
        }
        return runOnce != null ? runOnce.exitCode() : code;
    }

    /** One line for the user: the pipeline error when there is one, else the chain of messages. */
    static String describe(Throwable e) {
        StringBuilder chain = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof PipelineConfigException) {
                return t.getMessage();
            }
            String message = String.valueOf(t.getMessage()).replaceAll("\\s+", " ").trim();
            if (chain.indexOf(message) < 0) {
                chain.append(chain.length() == 0 ? "" : ": ").append(message);
            }
        }
        java.util.regex.Matcher empty = EMPTY_DESTINATION.matcher(chain);
        if (empty.find()) {
            // Camel's own words ("Expected scheme-specific part at index 16") do not say what is missing
            chain.append("; fix: the destination '").append(empty.group(1)).append(":' names no ")
                    .append(empty.group(1).endsWith("duckdb") ? "file; write e.g. pgingest-duckdb:data/warehouse.duckdb"
                            : "database; write e.g. pgingest-postgres:warehouse?host=127.0.0.1&user=postgres&schema=public");
        }
        String missing = missingRoutesDirectory(e);
        if (missing != null) {
            // Camel looks for route files in every directory of a routes-include-pattern, also that of
            // config/application.properties when -Dcamel.main.routes-include-pattern gives another
            chain.append("; fix: the directory '").append(missing).append("' of camel.main.routes-include-pattern")
                    .append(" (in config/application.properties, or given with -D) does not exist: create it, or change")
                    .append(" the pattern in the properties file");
        }
        return chain.toString();
    }

    /** The directory Camel's search for route files did not find, or null when that is not what failed. */
    private static String missingRoutesDirectory(Throwable e) {
        boolean searchingRoutes = false;
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            for (StackTraceElement frame : t.getStackTrace()) {
                searchingRoutes |= frame.getClassName().endsWith("RoutesCollector");
            }
            if (searchingRoutes && t instanceof java.nio.file.NoSuchFileException missing) {
                return missing.getFile();
            }
        }
        return null;
    }

    /** A destination URI of pg-ingest's components with nothing after the scheme, as Camel fails to resolve it. */
    private static final java.util.regex.Pattern EMPTY_DESTINATION = java.util.regex.Pattern.compile(
            "Failed to resolve endpoint: (pgingest-(?:duckdb|postgres)): due to: Expected scheme-specific part");
}
