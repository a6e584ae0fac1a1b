package io.pgingest;

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

/**
 * The pg-ingest application: Camel Main reading {@code config/application.properties} and
 * the pipelines in {@code routes/*.camel.yaml}. Options besides Camel Main's own
 * ({@code -pl <properties location>}, {@code -h}, ...): {@code --once} runs every pipeline
 * one pass and exits with 0 only when every object succeeded.
 * <p>Exit codes: 0 success, 1 a pipeline failed, 2 invalid configuration or start failure,
 * 3 {@code --once} found no pipeline.
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
        List<String> rest = new ArrayList<>(Arrays.asList(args));
        boolean once = rest.remove("--once");
        Main main = new Main();
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
        return chain.toString();
    }
}
