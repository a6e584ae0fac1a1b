package io.pgingest.ops;

import org.apache.camel.CamelContext;

import java.io.PrintStream;
import java.util.List;

/**
 * An operator command that the application runs instead of its pipelines: {@code --status}, {@code --check [PIPELINE]},
 * {@code --delete-pipeline NAME}, or {@code --restart-historical-load}, {@code --include-object}, {@code --skip-object},
 * {@code --pause-object} or {@code --resume-object} with {@code PIPELINE OBJECT}. The application creates the routes of the route files without starting them, runs
 * the command over them and exits with its code.
 */
public sealed interface Command permits StatusCommand, DeletePipelineCommand, CheckCommand, ObjectCommand {

    /** The command did what it was asked. */
    int DONE = 0;
    /** The command could not complete (a database unreachable, an SQL error); the message says what was done. */
    int FAILED = 1;
    /** Bad usage: an unknown pipeline, a missing argument. */
    int INVALID = 2;
    /** Refused because the pipeline is running (its replication slot is active); nothing was changed. */
    int REFUSED = 4;

    /**
     * Runs the command; results go to {@code out}, one line saying what is wrong (prefixed {@code pg-ingest:}) to
     * {@code err}. Returns the exit code.
     */
    int run(CamelContext context, PrintStream out, PrintStream err);

    /**
     * Takes the command's options out of {@code args}; null when there is none. Throws {@link IllegalArgumentException}
     * with a one-line message for bad usage (a missing name, two commands).
     */
    static Command parse(List<String> args) {
        Command found = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            Command c = null;
            if (a.equals("--status")) {
                c = new StatusCommand();
                args.remove(i--);
            } else if (a.equals("--check")) {
                String name = i + 1 < args.size() && !args.get(i + 1).startsWith("-") ? args.get(i + 1) : null;
                args.subList(i, i + (name == null ? 1 : 2)).clear();
                i--;
                c = new CheckCommand(name);
            } else if (a.equals("--delete-pipeline") || a.startsWith("--delete-pipeline=")) {
                String name;
                if (a.startsWith("--delete-pipeline=")) {
                    name = a.substring("--delete-pipeline=".length());
                    args.remove(i--);
                } else {
                    name = i + 1 < args.size() ? args.get(i + 1) : "";
                    args.remove(i);
                    if (!name.isEmpty()) {
                        args.remove(i);
                    }
                    i--;
                }
                if (name.isBlank() || name.startsWith("-")) {
                    throw new IllegalArgumentException("--delete-pipeline needs the name of the pipeline to delete:"
                            + " --delete-pipeline NAME");
                }
                c = new DeletePipelineCommand(name);
            } else if (ObjectCommand.OPTIONS.contains(a)) {
                String name = i + 1 < args.size() ? args.get(i + 1) : "";
                String object = i + 2 < args.size() ? args.get(i + 2) : "";
                if (name.isBlank() || name.startsWith("-") || object.isBlank() || object.startsWith("-")) {
                    throw new IllegalArgumentException(a + " needs the pipeline and the object: " + a
                            + " PIPELINE SCHEMA.TABLE (as --status lists it)");
                }
                args.subList(i, i + 3).clear();
                i--;
                c = new ObjectCommand(a, name, object);
            }
            if (c != null) {
                if (found != null) {
                    throw new IllegalArgumentException("give one command at a time: --status, --check [PIPELINE],"
                            + " --delete-pipeline NAME, or --restart-historical-load, --include-object, --skip-object,"
                            + " --pause-object or --resume-object with PIPELINE OBJECT");
                }
                found = c;
            }
        }
        return found;
    }
}
