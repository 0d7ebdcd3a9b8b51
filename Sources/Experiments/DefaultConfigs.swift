/// The reference's Hydra configuration files (`config/config.yaml`, `config/method/*.yaml` of the
/// LiNeS repository, spec §2.3), embedded so that `lines run` needs no config folder.
///
/// Lines adds keys of its own to `config.yaml`, each with a default that keeps the reference's
/// behaviour: `activation` (the encoders' MLP nonlinearity), `results_location` (where
/// `results/…` files go and baseline accuracies are looked up), `logs_location` (Hydra's run
/// folders), `clip_checkpoint` (a CLIP checkpoint with its text tower, from which missing heads
/// are built as the reference builds them) and `bpe_path` (its tokenizer's merges file). `device`, `world_size`, `port` and `wandb` are accepted and ignored.
public enum DefaultConfigs {
    /// `config/config.yaml`.
    public static let root = """
    defaults:
      - _self_
      - method: sum

    model: ViT-B-32
    num_tasks: 8
    specify_lambda: None
    DATASETS: ''
    DATASETS_VAL: ''
    cache_dir: null
    world_size: 1
    port: 12355
    n_eval_points: 21
    device: cuda
    batch_size: 128
    data_location: /mnt/lts4/scratch/data
    model_location: /mnt/lts4/scratch/checkpoints/tall_mask_checkpoints/mount/model_checkpoints
    activation: quick_gelu
    results_location: results
    logs_location: logs
    clip_checkpoint: null
    bpe_path: null
    wandb:
      project: task-vectors
      mode: online
      group: ${model}
    """

    /// `config/method/<name>.yaml`, by name.
    public static let methods: [(name: String, yaml: String)] = [
        ("sum", """
        name: sum
        full_name: ${method.name}_k=${method.k}
        k: 100
        apply_lines: false
        """),
        ("ties", """
        name: ties
        full_name: ${method.name}_k=${method.k}
        k: 20
        apply_lines: false
        agg: mean
        """),
        ("consensus", """
        name: consensus
        full_name: ${method.name}_k=${method.k}
        k: 100
        prun_thre_k: 2
        use_ties: false
        ties_agg: sum
        apply_lines: false
        """),
        ("tall_mask", """
        name: tall_mask
        full_name: ${method.name}_k=${method.k}
        k: 100
        use_ties: false
        ties_agg: sum
        load_mask: false
        """),
        ("single_task", """
        name: single_task
        full_name: ${method.name}_k=${method.k}
        k: 100
        apply_lines: false
        tradeoff_target_weight: 2.0
        task_index: 0
        """),
        ("zeroshot", """
        name: zeroshot
        full_name: ${method.name}_k=${method.k}
        k: 100
        apply_lines: false
        """),
        ("average", """
        name: average
        full_name: ${method.name}_k=${method.k}
        k: 100
        """),
        ("mag_masking", """
        name: mag_masking
        full_name: ${method.name}_k=${method.k}
        k: 10
        """),
        // Not in the reference: the SVD methods (their authors' α grid, linspace(0, 3, 31)[1:]),
        // DARE and Breadcrumbs (the Task Arithmetic grid); each ± LiNeS.
        ("tsv", """
        name: tsv
        full_name: ${method.name}_k=${method.k}
        k: 100
        apply_lines: false
        """),
        ("iso_c", """
        name: iso_c
        full_name: ${method.name}_k=${method.k}
        k: 100
        apply_lines: false
        """),
        ("iso_cts", """
        name: iso_cts
        full_name: ${method.name}_k=${method.k}_f=${method.common_space_fraction}
        k: 100
        common_space_fraction: 0.8
        apply_lines: false
        """),
        ("dare", """
        name: dare
        full_name: ${method.name}_p=${method.drop_rate}_seed=${method.seed}
        k: 100
        drop_rate: 0.5
        seed: 0
        apply_lines: false
        """),
        ("breadcrumbs", """
        name: breadcrumbs
        full_name: ${method.name}_density=${method.density}_gamma=${method.gamma}
        k: 100
        density: 0.9
        gamma: 0.01
        apply_lines: false
        """),
    ]

    /// Lines' `launcher` group (Hydra's `hydra/launcher`): where the run's evaluations execute.
    /// `local` (the default) runs them in this process; `slurm` submits them to a Slurm cluster as
    /// a job array of validation units and a dependent selection + test job. A key left `null`
    /// adds no `#SBATCH` line, so the cluster's default applies.
    public static let launchers: [(name: String, yaml: String)] = [
        ("local", """
        name: local
        """),
        ("slurm", """
        name: slurm
        partition: null
        time: null
        cpus_per_task: null
        mem: null
        gres: null
        array_parallelism: null
        extra: []
        """),
    ]
}
