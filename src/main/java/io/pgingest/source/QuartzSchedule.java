package io.pgingest.source;

import org.apache.camel.CamelContext;
import org.apache.camel.component.quartz.QuartzComponent;
import org.quartz.DisallowConcurrentExecution;
import org.quartz.Job;
import org.quartz.JobBuilder;
import org.quartz.JobDataMap;
import org.quartz.JobDetail;
import org.quartz.JobExecutionContext;
import org.quartz.JobKey;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;

import java.time.Duration;

/**
 * A pipeline's schedule on the Quartz scheduler of Camel's quartz component: a run at once,
 * then one every {@code frequency}. A run that overruns its slot delays the next one rather
 * than overlapping it (misfires are skipped).
 */
final class QuartzSchedule {

    private static final String GROUP = "pg-ingest";

    private final Scheduler scheduler;
    private final JobKey key;

    private QuartzSchedule(Scheduler scheduler, JobKey key) {
        this.scheduler = scheduler;
        this.key = key;
    }

    static QuartzSchedule start(CamelContext context, String pipeline, Duration frequency, Runnable run) throws SchedulerException {
        Scheduler scheduler = context.getComponent("quartz", QuartzComponent.class).getScheduler();
        JobKey key = JobKey.jobKey(pipeline, GROUP);
        JobDataMap data = new JobDataMap();
        data.put("run", run);
        JobDetail job = JobBuilder.newJob(PipelineRunJob.class).withIdentity(key).usingJobData(data).build();
        Trigger trigger = TriggerBuilder.newTrigger().withIdentity(pipeline, GROUP).startNow()
                .withSchedule(SimpleScheduleBuilder.simpleSchedule()
                        .withIntervalInMilliseconds(frequency.toMillis()).repeatForever()
                        .withMisfireHandlingInstructionNextWithRemainingCount())
                .build();
        if (scheduler.checkExists(key)) {
            scheduler.deleteJob(key);
        }
        scheduler.scheduleJob(job, trigger);
        if (!scheduler.isStarted()) {
            scheduler.start();
        }
        return new QuartzSchedule(scheduler, key);
    }

    void stop() throws SchedulerException {
        if (!scheduler.isShutdown()) {
            scheduler.deleteJob(key);
        }
    }

    /** The Quartz job: runs the pipeline pass handed in its data map. */
    @DisallowConcurrentExecution
    public static final class PipelineRunJob implements Job {
        @Override
        public void execute(JobExecutionContext context) {
            ((Runnable) context.getMergedJobDataMap().get("run")).run();
        }
    }
}
