"""English: every word the page and its figures show, by namespaced key (Chinese in zh.py, same keys)."""

TEXT: dict[str, str] = {
    # ---- page: the playground's labels, notices and messages (playground/locales reads them)
    "page.title": "ResNet playground",
    "page.heading": "# ResNet playground",
    "page.subtitle": (
        "Pick a depth, upload an image, and see what every stage of a residual network does with it."
    ),
    "page.intro": (
        "ResNet ([He et al., 2015](https://arxiv.org/abs/1512.03385)) adds a shortcut around every few "
        "layers, so each block learns a *residual* F(x) and outputs F(x) + x. [Identity "
        "Mappings](https://arxiv.org/abs/1603.05027) moves BN and ReLU before the convolutions so the "
        "shortcut path stays clean from end to end. Three questions run through this page: **what problem "
        "does ResNet solve** (*Why residual?*), **how is its code written** (*Architecture*), and **how do "
        "you use it** (*Train on your images*: fine-tune it on your own pictures and take the weights home; "
        "*Inspect* and *Compare depths* show what a trained one sees)."
    ),
    "page.tab_arch": "Architecture",
    "page.tab_inspect": "Inspect",
    "page.tab_compare": "Compare depths",
    "page.tab_lab": "Why residual?",
    # the shared model picker
    "page.depth": "Depth",
    "page.counts": "Block counts per stage",
    "page.counts_info": "Four whole numbers, one per stage, e.g. 2, 2, 2, 2",
    "page.block_type": "Block type",
    "page.variant": "Variant",
    "page.weights": "Weights",
    "page.own_weights": "Your own weights (.safetensors or .pth)",
    "page.ckpt_help": (
        "Load a state dict of the architecture chosen above (for ResNet-50: torchvision's `resnet50` layout, "
        "any number of classes) as a `.safetensors` or `.pth` file of at most {mb} MB. It is read without "
        "running any code, checked key by key, and kept for this browser session only; then pick the weights "
        "“checkpoint”."
    ),
    "page.checkpoint": "Checkpoint",
    "page.ckpt_loaded": (
        "Loaded **{name}** into {model} ({classes} classes). Pick the weights “checkpoint” to use it; it "
        "stays with this browser session only."
    ),
    # notices
    "page.device": "**Device:** {device}",
    "page.notice_real": "✅ {model} with {source} weights. {device}",
    "page.notice_pending": "ℹ️ {model} with {source} weights, loaded when you first run it. {device}",
    "page.notice_random": "⚠️ **{model} with random weights: its predictions are meaningless.** {device}",
    "page.notice_no_default": "⚠️ The default model could not be loaded: {error}. {device}",
    "page.random_mark": "random weights: not a real prediction",
    # architecture tab
    "page.height": "Input height",
    "page.width": "Input width",
    "page.level": "Graph level",
    "page.unfold": "Unfold long stages",
    "page.show": "Show",
    "page.graph": "Block graph",
    "page.cost": "Cost per stage",
    "page.block": "Block",
    "page.code_btn": "Show the block's code",
    "page.code": "Block code",
    "page.code_pick": "# pick a block to see its code",
    "page.totals": (
        "**{name}** at {h}×{w}: **{params}** parameters, **{macs}**, {adds} residual additions (counted "
        "apart from the MACs), {blocks} blocks."
    ),
    "page.arch_help": (
        "Every box is a block; solid arrows are identity shortcuts, dashed ones projection shortcuts (a 1×1 "
        "convolution where the shape changes). The table gives every stage's output shape with its "
        "arithmetic: out = ⌊(in + 2·padding − kernel) / stride⌋ + 1."
    ),
    # inspect tab
    "page.picture": "Image",
    "page.examples": "Examples",
    "page.options": "Options",
    "page.layer": "Grad-CAM layer",
    "page.target": "Class to explain",
    "page.mode": "Preprocessing",
    "page.mode_crop": "crop to the centre",
    "page.mode_whole": "whole picture",
    "page.size": "Input size",
    "page.top_k": "Top-k",
    "page.guided": "Guided Grad-CAM",
    "page.run": "Inspect",
    "page.quick": "Top-k only (one fast forward pass)",
    "page.gradcam": "Grad-CAM",
    "page.guided_panel": "Guided Grad-CAM",
    "page.opacity": "Heatmap opacity",
    "page.colormap": "Colour map",
    "page.predictions": "Predictions",
    "page.topk_plot": "Top-k",
    "page.timeline_heading": (
        "**Grad-CAM at the stem and every stage** (rows: the top classes): which layer should you pick?"
    ),
    "page.timeline": "Grad-CAM timeline",
    "page.stage": "Stage or block",
    "page.scale": "Colour scale",
    "page.scale_per-channel": "each channel its own",
    "page.scale_shared": "shared by all channels",
    "page.gallery": "Strongest channels",
    "page.stats": "Per-block statistics",
    "page.auto_target": "auto (top-1)",
    "page.cam_caption": "Grad-CAM at {layer} for “{label}” (class {target}, logit {score:.2f})",
    "page.act_text": (
        "**{name}** output {c}×{h}×{w}: mean {mean:.3f}, std {std:.3f}, max {max:.3f}, {zeros:.0%} zeros. "
        "Strongest channels: {channels}"
    ),
    "page.run_info": "{model}: input {h}×{w}, {ms:.0f} ms on the server",
    "page.run_pending": "; the Grad-CAM timeline below is on its way",
    "page.run_timeline": " ({ms:.0f} ms of it for the timeline, sent after the rest)",
    "page.predict_info": (
        "{model}: input {h}×{w}, top-{k} in {ms:.1f} ms on the server (forward pass only: no Grad-CAM, no "
        "activations)"
    ),
    "page.progress_load": "loading the model and reading the image",
    "page.progress_pass": "one forward, one backward",
    "page.progress_draw": "drawing",
    "page.progress_timeline": "the Grad-CAM timeline: stem and every stage",
    # compare tab
    "page.compare_help": (
        "The picture from the *Inspect* tab, through every standard depth with the weights chosen above. "
        "Each network is built and run once before its forward pass is timed, so the time column is the cost "
        "of depth, not of loading."
    ),
    "page.compare": "Compare all depths",
    "page.compare_gallery": "Grad-CAM at layer4",
    "page.col_model": "model",
    "page.col_top5": "top-5",
    "page.col_ms": "forward ms",
    "page.col_build": "build s",
    "page.col_params": "parameters",
    "page.col_gmacs": "GMACs",
    "page.col_weights": "weights",
    # lab tab
    "page.lab_intro": (
        "The article this page grew from answers “what problem does ResNet solve?” with two claims: "
        "shortcuts fix vanishing and exploding gradients, and they fix **degradation** (deeper plain "
        "networks train worse). The [ResNet paper](https://arxiv.org/abs/1512.03385) is subtler: with BN its "
        "plain networks' gradients have healthy norms, and degradation is an optimization difficulty. Later "
        "work measured more: shattered gradients, the shape of the loss surface, zero-initialised branches. "
        "Each claim is measured below, live on this server or from a saved run that says how it was made, "
        "and the words under each figure are computed from its numbers."
    ),
    "page.family": "Network family",
    "page.bn": "Batch normalization",
    "page.bn_on": "on",
    "page.bn_off": "off",
    "page.bn_both": "both",
    "page.flow": "Measure gradient flow",
    "page.flow_plot": "Gradient norm per block (log scale)",
    "page.share_plot": "Where the gradient arrives from",
    "page.race_heading": "### 5. A live training race: plain-N against ResNet-N on this server",
    "page.race": "Start the race",
    "page.seconds": "Time budget (s)",
    "page.race_plot": "Live curves",
    "page.saved_plot": "The longer race (saved)",
    "page.race_status": "Step {step}/{steps}, {elapsed:.0f} s on {device}",
    "page.race_stopped": " (stopped: {why})",
    "page.stop_time_budget": "time budget",
    "page.race_line": "* **{name}**: training loss {loss:.3f}",
    "page.race_heldout": ", held-out accuracy {acc:.0%}",
    "page.ablation_heading": "### 6. Shortcut ablation on the picture from *Inspect*",
    "page.ablate": "Ablate",
    "page.ablate_mode": "Ablation",
    "page.ablate_branch": "zero the residual branch",
    "page.ablate_shortcut": "cut the shortcut",
    "page.before": "Before",
    "page.after": "After",
    "page.cam_before": "Grad-CAM before",
    "page.cam_after": "Grad-CAM after",
    "page.anatomy_heading": "### 7. Block anatomy: v1, v1.5 and pre-activation",
    "page.anatomy": "Block anatomy",
    # messages
    "page.toast_error": "Error",
    "page.toast_warning": "Warning",
    "page.toast_info": "Info",
    "page.err_title": "Error",
    "page.err_lead": "{message}",
    "page.err_generic": (
        "Something went wrong on our side; the error was logged and the server keeps running."
    ),
    "page.err_oom_gpu": "The GPU ran out of memory for this request. Try a smaller input size or depth.",
    "page.err_oom": "The server ran out of memory for this request. Try a smaller input size or depth.",
    "page.level_block": "blocks",
    "page.level_layer": "every layer",
    "page.family_cifar": "CIFAR (6n+2, 32×32)",
    "page.family_imagenet": "ImageNet (18-152)",
    "page.weights_random": "random",
    "page.weights_checkpoint": "your checkpoint",
    "page.depth_custom": "custom",
    "page.block_basic": "basic",
    "page.block_bottleneck": "bottleneck",
    "page.tab_attr": "Attributions",
    "page.attr_intro": (
        "Where does the network look? Each **attribution method** answers differently: gradients, paths from "
        "a baseline, occluding patches, Shapley values (all through [captum](https://captum.ai)'s own "
        "classes). Compare them side by side, then ask which you can trust: a **sanity check** randomises "
        "the network layer by layer from the logits down ([Adebayo et al. "
        "2018](https://arxiv.org/abs/1810.03292)) and a faithful map must change with it; a **faithfulness** "
        "test deletes the pixels a map ranks highest ([Petsiuk et al. "
        "2018](https://arxiv.org/abs/1806.07421)) and a faithful map makes the class probability fall "
        "fastest. The shipped *toy* ResNet was trained on generated shapes, so its maps mean something even "
        "without ImageNet weights."
    ),
    "page.attr_model": "Model",
    "page.attr_model_toy": "toy ResNet trained on shapes (shipped)",
    "page.attr_model_picked": "the model picked above",
    "page.attr_methods": "Methods",
    "page.attr_params": "Method options",
    "page.attr_steps": "Integrated Gradients: steps",
    "page.attr_baseline": "Baseline (what “absent” means)",
    "page.attr_baseline_black": "black",
    "page.attr_baseline_blur": "blurred picture",
    "page.attr_baseline_noise": "noise",
    "page.attr_baseline_mean": "mean colour",
    "page.attr_nt_samples": "SmoothGrad / VarGrad: noisy samples",
    "page.attr_window": "Occlusion: window (pixels)",
    "page.attr_stride": "Occlusion: stride (pixels)",
    "page.attr_mask": "Feature Ablation / Shapley: features",
    "page.attr_mask_grid": "grid cells",
    "page.attr_mask_superpixels": "superpixels",
    "page.attr_cell": "Grid cell (pixels)",
    "page.attr_samples": "Shapley: permutations",
    "page.attr_scale": "Colour scale",
    "page.attr_scale_signed": "signed (red for, blue against)",
    "page.attr_scale_absolute": "absolute",
    "page.attr_shared": "One range for every map",
    "page.attr_run": "Compare methods",
    "page.attr_stop": "Stop",
    "page.attr_sanity": "Sanity check",
    "page.attr_sanity_pictures": (
        "Sanity check: pictures to judge over (yours, then the bundled toy examples in name order)"
    ),
    "page.attr_sanity_first": (
        "The curves and maps below show your picture only; the verdict above is over all the pictures."
    ),
    "page.attr_faith": "Faithfulness",
    "page.attr_grid": "Maps side by side",
    "page.attr_sanity_plot": "Similarity to the trained network's map as layers are randomised",
    "page.attr_sanity_maps": "Maps at each step of the randomisation",
    "page.attr_faith_plot": "Deletion and insertion curves",
    "page.attr_all_apply": "Every method applies to this network.",
    "page.attr_not_apply": "Methods that do not apply to this network:",
    "page.attr_progress_sanity": "randomising layer by layer",
    "page.attr_random": "random maps, the yardstick",
    "page.attr_stopped": "Stopped at your request.",
    "page.flow_heading": "### 1. Vanishing or exploding gradients? Gradient norm per block at initialization",
    "page.zero_init": "Zero-init residual (last BN of each block = 0)",
    "page.shatter_heading": (
        "### 2. Shattered gradients: is the gradient still structured, or white noise at lag 1?"
    ),
    "page.shatter": "Measure shattering",
    "page.shatter_plot": "Gradient along a line of inputs, and its correlation with its neighbours",
    "page.landscape_heading": (
        "### 3. The loss surface around a trained network (Li et al. compared 20 and 56 layers: live here, "
        "saved at 56 below)"
    ),
    "page.landscape_grid": "Grid points per side",
    "page.landscape": "Slice the loss surface",
    "page.landscape_plot": "Loss surface (live)",
    "page.landscape_saved": (
        "Loss surface (saved run at 56 layers, where Li et al. saw plain nets turn chaotic; machine in the "
        "title)"
    ),
    "page.degradation_heading": (
        "### 4. Degradation? Deeper against shallower, plain and ResNet: short saved runs on our data (not "
        "the paper's numbers; the verdict says what they show)"
    ),
    "page.degradation_plot": "Training error of plain and residual networks, several seeds",
    "page.landscape_training": "training {name}",
    "page.landscape_slicing": "slicing the loss around {name}",
    "page.landscape_done": "done",
    "page.tab_train": "Train on your images",
    "page.train_intro": (
        "**How do you use a ResNet?** Take one and fit it to your own classes. Give 2 to 10 classes (the "
        "bundled set of stripes, dots and checkers, one zip with a folder per class, or pictures per class "
        "below), pick a strategy — train only a new `fc` on fixed features, fine-tune the last stage, or "
        "fine-tune everything — and watch it learn. Then see what changed inside, and take the weights and a "
        "standalone script home. Without a network the weights start random (the page says so); on a CPU a "
        "small network trains in a minute."
    ),
    "page.train_source": "Images from",
    "page.train_source_example": "the bundled example set",
    "page.train_source_zip": "one zip, a folder per class",
    "page.train_source_classes": "the class slots below",
    "page.train_zip": "Zip of class folders",
    "page.train_class_n": "Class {n}: name",
    "page.train_images": "Pictures",
    "page.train_more": "More classes (up to 10)",
    "page.train_webcam": "Webcam snapshots",
    "page.train_snapshot": "Snapshot",
    "page.train_to_class": "Add to class",
    "page.train_add_snapshot": "Add the snapshot",
    "page.train_strategy": "Strategy",
    "page.train_augment": "Augmentation (flips, crops, colour)",
    "page.train_held_out": "Held out for testing",
    "page.train_steps": "Training steps",
    "page.train_start": "Start training",
    "page.train_curves": "Loss and accuracy",
    "page.train_confusion": "Confusion matrix (held-out pictures)",
    "page.train_pca": "Pooled features before and after training (PCA)",
    "page.train_cams": "Held-out pictures: Grad-CAM of the original and the fine-tuned network",
    "page.train_export_heading": "### Take it home",
    "page.train_export": "Export the weights and a script",
    "page.train_weights_file": "Weights (.safetensors)",
    "page.train_script_file": "Standalone script (classify.py)",
    "page.train_reading": "reading the pictures",
    "page.train_head0": "{classes} classes, {images} pictures, on {model}.",
    "page.train_random": "Its weights are random (no pretrained weights here): it learns from scratch.",
    "page.train_trainable": "Trainable: {trainable} of {total} parameters.",
    "page.train_step": "step {step} of {steps}",
    "page.train_analysing": "comparing before and after",
    "page.train_exported": (
        "Wrote **{name}** (class names in its metadata); it loads back under “Your own weights”. Run `python "
        "classify.py <folder>` next to it."
    ),
    # receptive fields and feature visualization (tabs/receptive.py)
    "page.train_stopped": (
        "The comparison below and the export use the weights as they were at step {step}, where you stopped."
    ),
    "page.train_cut": "The time budget ran out while comparing before and after; allow more seconds to see all of it.",
    "page.train_cut_features": "The feature map was left out (no time was left for it).",
    "page.train_cut_cams": "Grad-CAM was drawn for {n} of {planned} held-out pictures.",
    "page.rf_heading": "What each stage sees: the receptive field",
    "page.rf_help": (
        "A position of a stage's output depends on a square of input pixels, its *receptive field*. It is "
        "read from the modules: each conv or pool of kernel k and stride s gives `r_out = r_in + (k − "
        "1)·j_in` and `j_out = j_in·s`, where j (the *jump*) is the input distance between neighbouring "
        "positions; a block sees the larger of its main path and its shortcut. The boxes show what one "
        "position of each stage sees around the same point."
    ),
    "page.rf_layer": "Stage or block",
    "page.rf_position": "Position (row, col)",
    "page.rf_position_info": "Empty for the centre of the layer's output",
    "page.rf_show": "Show the fields",
    "page.rf_picture": "Picture to draw on",
    "page.rf_boxes": "Receptive fields around one point",
    "page.rf_json": "Numbers (JSON)",
    "page.rf_inspect_heading": "What each stage sees: effective field and channels",
    "page.rf_inspect_help": (
        "The **effective receptive field** ([Luo et al. 2016](https://arxiv.org/abs/1701.04128)) is where "
        "the gradient of a stage's centre unit actually reaches in the input, averaged over noise pictures "
        "and on your picture. **Feature visualization** ([Olah et al. "
        "2017](https://distill.pub/2017/feature-visualization/)) optimises a picture to excite a channel, "
        "beside the parts of real pictures that excite it most. The shipped *toy* ResNet was trained on "
        "shapes; the picked model has random weights unless this server has ImageNet weights for it."
    ),
    "page.rf_model": "Network",
    "page.rf_model_toy": "toy ResNet trained on shapes (shipped)",
    "page.rf_model_picked": "the model picked above",
    "page.rf_size": "Input side",
    "page.rf_size_info": "0: the model's own (64 px for the toy)",
    "page.rf_erf_heading": "#### Effective receptive field",
    "page.rf_noise": "Noise pictures to average",
    "page.rf_erf_run": "Measure the effective field",
    "page.rf_erf_plot": "Gradient of the centre unit inside its theoretical field (dashed: 95 % of the mass)",
    "page.rf_erf_picture": "On your picture",
    "page.rf_fv_heading": "#### What the channels look for",
    "page.rf_channels": "Channels",
    "page.rf_channels_info": "Up to 8 numbers, optimised together in one batch",
    "page.rf_fv_size": "Picture side",
    "page.rf_steps": "Most steps",
    "page.rf_seconds": "Most seconds",
    "page.rf_fv_run": "Visualize the channels",
    "page.rf_fv_grid": "Optimised pictures (left) and the fields that excite each channel most",
    "page.rf_fv_progress": "Optimising: step {step} of {steps}, {s:.1f} s",
    # the paper's argument (playground/tabs/argument.py)
    "page.arg_intro": (
        "## The argument\n"
        "He et al. write the mapping a few layers should learn as **H(x) = F(x) + x**: the layers learn the "
        "*residual* F(x) = H(x) − x and a shortcut adds x back. That learning F is easier is a "
        "**hypothesis**, not a theorem: *if an identity were optimal, pushing F to zero is easier than "
        "fitting an identity with a stack of nonlinear layers*. ResNets built on it work very well, probably "
        "because the shortcut carries the gradient well. Below, the argument step by step, each step "
        "measured: the paper's evidence for the hypothesis, the shortcut's gradient equation, and why deep "
        "ResNets behave like ensembles of shallow paths."
    ),
    "page.arg_hypothesis": (
        "### A. The hypothesis and the paper's evidence (He et al. 2015, §3.1 and Fig. 7)\n"
        "If the wanted mapping is close to the identity, a residual block only needs a small F(x). The paper "
        "checks this indirectly: the standard deviation of each layer's response (after BN, before the "
        "addition and ReLU) is smaller in ResNets than in their plain twins, and smaller in deeper ResNets. "
        "Here the race's plain-N and ResNet-N are trained on the same batches, then each block's response "
        "F(x) is measured on held-out images, with ‖F(x)‖ / ‖x‖ beside it."
    ),
    "page.arg_depths": "Depths (one to three)",
    "page.arg_steps": "Training steps",
    "page.arg_response_run": "Train and measure the responses",
    "page.arg_response_plot": "Response of each block: std of F(x) and ‖F(x)‖ / ‖x‖",
    "page.arg_numbers": "The numbers (JSON)",
    "page.arg_bn_hypothesis": (
        "**What BN does here.** Each response is read after the branch's last BN, which sets the branch's "
        "output to a learned scale: that is why the paper's plain networks, BN in every layer, train at all, "
        "and why their responses compare with the ResNet's. At the end of a branch, BN keeps F(x) at the "
        "scale of its γ, so the residual stream x + F(x) grows only as much as the branches add. Without BN "
        "every block adds a term as large as x and the variance of the stream doubles per block; De & Smith "
        "(2020) show that BN's real service in a ResNet is this downscaling of the branch, and SkipInit "
        "replaces it by a learnable scalar on the branch that starts at zero. The responses are measured in "
        "eval mode: BN then uses its running statistics, as at test time; in train mode it normalises with "
        "the batch's own."
    ),
    "page.arg_equation": (
        "### B. Why the shortcut carries the gradient (Identity Mappings, Eq. 4–5)\n"
        "With identity shortcuts and nothing after the addition, any deeper block's output is the shallower "
        "one's plus a sum of residuals, and the gradient follows:\n"
        "\n"
        "$$x_L = x_l + \\sum_{i=l}^{L-1} F(x_i), \\qquad \\frac{\\partial E}{\\partial x_l} = "
        "\\frac{\\partial E}{\\partial x_L}\\Big(1 + \\frac{\\partial}{\\partial x_l}\\sum_{i=l}^{L-1} "
        "F(x_i)\\Big)$$\n"
        "\n"
        "The **1** hands the top's gradient to every block unchanged, and the sum is unlikely to cancel it "
        "for a whole batch, so the gradient cannot vanish; nothing in the equation makes the norms equal "
        "either. v1's ReLU after ⊕ multiplies the 1 by its mask (zero wherever the sum is negative), and a "
        "projection or a BN on the shortcut multiplies it by a matrix or a scale: then the path is no longer "
        "clean. The figure splits each block's input gradient into the part through the shortcut and the "
        "part through the branch; they add up to autograd's gradient."
    ),
    "page.arg_split_run": "Split the gradient",
    "page.arg_split_plot": "Gradient per block: through the shortcut and through the branch",
    "page.arg_bn_gradient": (
        "**BN and the gradient.** At initialization BN makes a plain net's gradient grow toward the input "
        "(Yang et al. 2019; the plain panel above), so deep plain nets do not fail for lack of gradient; "
        "that growth is a property of the random start and does not last once the weights adapt, yet the "
        "plain net still trains worse (degradation, measured further down). The shortcut's 1 does not come "
        "from BN but from the addition."
    ),
    "page.arg_ensembles": (
        "### C. ResNets behave like ensembles of shallow paths (Veit et al. 2016)\n"
        "Unrolled, n residual blocks give 2ⁿ paths, C(n, k) of them through k branches: most paths are about "
        "n/2 blocks long. Veit et al. deleted single blocks from a trained ResNet (shortcut kept, branch "
        "dropped) and its error barely moved, while removing one layer of a plain network broke it; deleting "
        "k random blocks degraded it smoothly. Stochastic depth (Huang et al. 2016) trains with blocks "
        "dropped at random in just this way. Pick the shipped 8-block toy model (seconds) or the race's "
        "ResNet-N and plain-N (trained live first); below, saved runs of ResNet-56 (27 blocks) over several "
        "seeds."
    ),
    "page.arg_network": "Network",
    "page.arg_network_toy": "the shipped toy (8 blocks)",
    "page.arg_network_race": "the race's ResNet-N and plain-N (trained now)",
    "page.arg_lesion_run": "Delete blocks",
    "page.arg_lesion_plot": "Paths by length, and held-out accuracy with blocks deleted",
    "page.arg_lesion_saved": "Saved: the race's ResNet-56 and plain-56, several seeds",
    "page.arg_paper_heading": "### D. The papers' own numbers (for reference; theirs, not measured here)",
    "page.arg_stage_training": "training {name}",
    "page.arg_stage_measuring": "measuring {name}",
    "page.arg_stage_lesioning": "deleting blocks of {name}",
    "page.arg_stage_loading": "loading the {name} model",
    "page.arg_no_bn_heading": (
        "**Without BN.** Take BN out of a ResNet and keep the usual initialization: each block adds a branch "
        "as large as its input, so the stream's variance about doubles per block and the forward pass blows "
        "up. Three cures start every block as the identity: **zero-init** (the branch's last layer at zero), "
        "**SkipInit** (De & Smith 2020: a learnable scalar on the branch, initialised at 0) and **Fixup** "
        "(Zhang et al. 2019: zero the classifier and each branch's last layer; scale the other branch layers "
        "by L^(−1/(2m−2)); add a scalar multiplier per branch and scalar biases before each convolution, "
        "linear layer and activation). Below they are measured at initialization and trained side by side."
    ),
    "page.arg_no_bn_run": "Train without BN",
    "page.arg_no_bn_plot": "The stream at initialization, and the training loss, without BN",
    "page.arg_no_bn_saved": "Saved: without BN, several seeds (the first seed drawn)",
    "page.arg_stop": "Stop",
    "page.arg_stopped": "Stopped before the end: nothing to show from this run.",
    # ---- graph: viz/graph.py
    "graph.legend_identity": "identity shortcut",
    "graph.legend_projection": "projection shortcut (1×1 conv)",
    "graph.legend_pad": "zero-padding shortcut (option A)",
    "graph.shortcut_identity": "identity shortcut",
    "graph.shortcut_projection": "projection shortcut {ops}",
    "graph.shortcut_pad": "zero-padding shortcut (option A)",
    "graph.shortcut_none": "no shortcut (plain twin)",
    "graph.shortcut_convs": "shortcut convs",
    "graph.block_detail": "{kind} [{convs}], stride {stride}; {shortcut}",
    "graph.stage_detail": "{n} {kind} blocks; shortcuts: {parts}",
    "graph.stage_part": "{n} {kind}",
    "graph.basic": "basic",
    "graph.bottleneck": "bottleneck",
    "graph.identity": "identity",
    "graph.projection": "projection",
    "graph.pad": "zero-padding",
    "graph.none": "none",
    "graph.input_detail": "{h}×{w} RGB image",
    "graph.folded_label": "×{n} blocks",
    "graph.lane": "<b>{stage}</b> {shape} · {n} blocks",
    "graph.lane_plain": "<b>{stage}</b> {shape}",
    "graph.output": "output {shape}",
    "graph.params": "{n} params",
    "graph.adds": "{n} adds",
    "graph.title": "{name} · {h}×{w} input · {params} parameters · {macs}",
    "graph.kind_input": "input image",
    "graph.focus_hint": " · every layer of {focus} (pick a block below and press Show to draw its stage)",
    "graph.kind_stem": "stem",
    "graph.kind_block": "residual block",
    "graph.kind_stage": "folded stage",
    "graph.kind_conv": "convolution",
    "graph.kind_bn": "batch norm",
    "graph.kind_relu": "ReLU",
    "graph.kind_add": "residual add (shortcut + branch)",
    "graph.kind_maxpool": "max-pool",
    "graph.kind_avgpool": "global average pool",
    "graph.kind_fc": "fully connected",
    "graph.kind_pad": "zero-pad shortcut",
    "graph.label_input": "input",
    "graph.label_stem": "stem",
    "graph.label_maxpool": "pool",
    "graph.label_avgpool": "avgpool",
    "graph.label_avg": "avg",
    "graph.label_head": "head",
    "graph.stage_stem": "stem",
    "graph.stage_head": "head",
    "graph.max_pool": "max-pool",
    "graph.verdict": "{name} has {n} residual blocks in {stages} stages: {parts}.",
    "graph.verdict_projection": "{k} projection shortcut{s} where a stage changes width or resolution",
    "graph.verdict_pad": "{k} zero-padding shortcut{s} where a stage changes width or resolution",
    "graph.verdict_identity": "{k} identity shortcut{s} that add{s_verb} a block's input unchanged",
    "graph.verdict_sep": "; ",
    "graph.verdict_plain": "{name} has {n} blocks in {stages} stages and no shortcuts (the plain twin).",

    # ---- shapes: viz/shapes.py
    "shapes.h_stage": "stage",
    "shapes.h_operation": "operation",
    "shapes.h_arithmetic": "arithmetic",
    "shapes.h_output": "output C×H×W",
    "shapes.h_params": "parameters",
    "shapes.h_macs": "MACs",
    "shapes.h_adds": "residual adds",
    "shapes.stem": "stem",
    "shapes.head": "head",
    "shapes.total": "total",
    "shapes.unchanged": "{a} → {a} (stride 1, no change)",
    "shapes.conv": "conv",
    "shapes.max-pool": "max-pool",
    "shapes.basic": "basic",
    "shapes.bottleneck": "bottleneck",
    "shapes.final_norm": "final BN + ReLU (pre-activation)",
    "shapes.avgpool": "global average pool",
    "shapes.fc": "fully connected {i} → {o}",
    "shapes.fc_arith": "{i}·{o} weights + {o} biases",
    "shapes.input": "input 3×{h}×{w}",
    "shapes.summary": "**{name}** at {h}×{w}: {params} parameters, {macs}, {adds} residual adds",
    "shapes.params_title": "parameters",
    "shapes.macs_title": "multiply-accumulates (MACs)",
    "shapes.params_hover": "%{x}: %{text} parameters<extra></extra>",
    "shapes.title": "{name} at {h}×{w}: {params} parameters, {macs}",
    "shapes.verdict_less": (
        "{top_p} holds {share_p:.0%} of the {params} parameters but does only {share_pm:.0%} of the work; "
    ),
    "shapes.verdict_more": (
        "{top_p} holds {share_p:.0%} of the {params} parameters and does {share_pm:.0%} of the work; "
    ),
    "shapes.verdict_level": (
        "the stages' work stays within {lo} to {hi}, because each stage that halves the map doubles the "
        "width."
    ),
    "shapes.verdict_uneven": "{busy} does the most work ({hi}), as it stacks {blocks} of the {total} blocks.",

    # ---- code: resnet_core/explain.py
    "code.title": "# {name}: {kind} ({variant}), stride {stride}, {shortcut} shortcut",
    "code.shapes": "# x: {x} -> out: {out}   (C, H, W), batch left out",
    "code.costs": "# {params:,} parameters, {macs:,.1f} M multiply-accumulates, {adds:,} residual adds",
    "code.identity": "identity",
    "code.projection": "projection",
    "code.pad": "zero-padding",
    "code.none": "no",
    "code.branch": "branch",
    "code.shortcut": "shortcut",
    "code.option_a": "option A",

    # ---- activations: viz/activations.py
    "activations.mean_title": "mean activation",
    "activations.zeros_title": "fraction of outputs that are zero on this picture (cut off by a ReLU)",
    "activations.mean": "mean",
    "activations.zeros": "zeros",
    "activations.hover": "mean {mean:.3g} · std {std:.3g} · max {max:.3g}<br>zeros {zeros:.1%}",
    "activations.kind_stem": "stem",
    "activations.kind_stage": "stage",
    "activations.kind_block": "block",
    "activations.verdict": (
        "Across {n} blocks the mean activation goes from {first:.3g} ({first_name}) to {last:.3g} "
        "({last_name}), peaking at {peak:.3g} ({peak_name}); "
    ),
    "activations.verdict_zeros": (
        "between {zlo:.0%} and {zhi:.0%} of each block's outputs are exactly zero, cut off by its last ReLU."
    ),
    "activations.verdict_no_zeros": (
        "hardly any output is exactly zero ({zhi:.1%} at most): no ReLU follows the addition."
    ),

    # ---- predictions: viz/predictions.py
    "predictions.random_note": "random weights — not a real prediction",
    "predictions.random_tag": "{label} (random weights)",
    "predictions.empty": "no predictions yet",
    "predictions.hover": "%{y}<br>class %{customdata}<br>%{x:.2%}<extra></extra>",

    # ---- cam: viz/cam.py
    "cam.timeline_title": "Grad-CAM at every depth",
    "cam.stem": "stem",

    # ---- compare: viz/compare.py
    "compare.cost": (
        "From ResNet-{shallow} to ResNet-{deep}, one forward pass took {time_ratio:.1f}× as long ({fast:.0f} "
        "→ {slow:.0f} ms) for {macs_ratio:.1f}× the multiply-adds and {params_ratio:.1f}× the parameters."
    ),
    "compare.slower_than_macs": (
        " On this device the time grew faster than the multiply-adds: arithmetic alone does not set it."
    ),
    "compare.faster_than_macs": (
        " On this device the time grew slower than the multiply-adds: arithmetic alone does not set it."
    ),
    "compare.built": (
        " Building {built} of the models took {build_s:.1f} s, which is not in the times: each depth was "
        "built and run once before its forward pass was timed."
    ),
    "compare.agree": (
        "{agree} of {n} depths put “{label}” first. One picture cannot show which depth is more accurate: He "
        "et al. (2016, Table 3) measured top-1 error falling from 34 to 152 layers over ImageNet's 50,000 "
        "validation pictures."
    ),
    "compare.random": "These weights are random, so the classes mean nothing here; only the cost columns do.",
    "compare.random_short": "random weights",

    # ---- receptive: viz/receptive.py
    "receptive.summary": (
        "**{name}** at {h}×{w}: one position of **{layer}** sees **{r}×{r} px** of the input ({share:.0%} of "
        "the picture's area), and neighbouring positions are {j} px apart."
    ),
    "receptive.headers": "layer|field r (px)|jump j (px)|output|main / shortcut|arithmetic",
    "receptive.stem": "stem",
    "receptive.shortcut_mark": "[shortcut]",
    "receptive.same_variant": (
        "Basic blocks carry the stride on their first 3x3 conv in every variant, so {this} and {other} see "
        "the same: {layer} {r} px."
    ),
    "receptive.differ": (
        "{v1} puts a downsampling bottleneck's stride on its first 1x1 conv, so its 3x3 conv already works "
        "at the doubled jump and adds twice as much: {layer} sees {r1} px in {v1} and {r15} px in {v15} "
        "(torchvision's v1.5 moves the stride to the 3x3)."
    ),
    "receptive.no_differ": "{this} and {other} see the same here: {layer} {r} px.",
    "receptive.trained": "trained",
    "receptive.random": "random",
    "receptive.noise": "noise ×{n}",
    "receptive.picture": "your picture",
    "receptive.erf_title": "{weights}, {source}: 95 % in {side} of {r} px ({fraction:.0%})",
    "receptive.erf_head": (
        "Effective field of the centre unit of **{layer}** ({name}, {h}×{w}): the square holding 95 % of the "
        "gradient is {sides} of the theoretical {r} px side."
    ),
    "receptive.erf_small": (
        "It covers {area:.0%} of the theoretical area: most of the field carries under 5 % of the effect, "
        "the small fraction Luo et al. (2016) report."
    ),
    "receptive.erf_large": (
        "It covers {area:.0%} of the theoretical area, more than half: here the effective field is not a "
        "small part of the theoretical one (Luo et al. report a small fraction)."
    ),
    "receptive.erf_gauss": (
        "Its profile is peaked like a Gaussian (excess kurtosis {k}; 0 for a Gaussian, −1.2 flat), the shape "
        "Luo et al. derive."
    ),
    "receptive.erf_not_gauss": (
        "Its profile is not Gaussian-like (excess kurtosis {k}; 0 for a Gaussian, −1.2 flat)."
    ),
    "receptive.erf_grew": (
        "Training made it larger ({trained:.0%} of the side against {random:.0%} with random weights), as "
        "Luo et al. found."
    ),
    "receptive.erf_shrank": (
        "Training did not make it larger here ({trained:.0%} of the side against {random:.0%} with random "
        "weights); Luo et al. saw it grow on their networks, which this measurement does not repeat."
    ),
    "receptive.erf_no_trained": (
        "This server has no trained weights for {name}, so only random weights were measured."
    ),
    "receptive.erf_clipped": (
        "The theoretical field is larger than the input, so its box is cut by the border."
    ),
    "receptive.fv_random": (
        "**These weights are random: the optimised pictures are noise.** A random channel responds to no "
        "pattern in particular, so there is nothing learned to show."
    ),
    "receptive.fv_head": (
        "{n} channels of **{layer}** ({name}, {source}): {steps} steps in {seconds:.1f} s (stopped by {by}). "
        "Mean activation before the last ReLU, from the grey start to the optimised picture: {rises}."
    ),
    "receptive.fv_examples": "Beside each: the fields of the pictures where the channel fires most.",
    "receptive.fv_steps": "steps",
    "receptive.fv_time": "time",
    "receptive.fv_tag": "ch {c}: {start:.2f} → {end:.2f}",

    # ---- attributions: viz/attributions.py
    "attributions.image": "input",
    "attributions.grid_title": "Attributions for class “{label}”<br><sup>{scale}</sup>",
    "attributions.signed": "signed, red positive, blue negative",
    "attributions.absolute": "absolute",
    "attributions.per_map": "each map to its own peak",
    "attributions.shared": "one range for all maps",
    "attributions.value": "value",
    "attributions.no_maps": "No attribution to show yet.",
    "attributions.sanity_title": (
        "Cascading randomisation (Adebayo et al. 2018): similarity to the trained map"
    ),
    "attributions.spearman": "Spearman rank correlation of |map|",
    "attributions.ssim": "SSIM of |map|",
    "attributions.step": "randomised from the logits down to",
    "attributions.deletion": "Deletion<br><sup>probability as the top pixels are removed</sup>",
    "attributions.insertion": "Insertion<br><sup>probability as the top pixels are added</sup>",
    "attributions.fraction": "fraction of pixels",
    "attributions.probability": "class probability",
    "attributions.faith_title": "Faithfulness (Petsiuk et al. 2018)",
    "attributions.method": "method",
    "attributions.del_auc": "deletion area (lower is better)",
    "attributions.ins_auc": "insertion area (higher is better)",
    "attributions.infidelity": "infidelity (lower is better)",
    "attributions.sensitivity": "max sensitivity (lower is better)",
    "attributions.random": "random map",
    "attributions.random_pixels": "random map (pixels)",
    "attributions.random_cells": "random map (4×4 cells)",
    "attributions.trained": "trained",
    "attributions.top": "top of the cascade: the verdict is read here",
    "attributions.v_grid": (
        "{n} maps for class “{label}”. Fastest: {fast} ({fast_t}); slowest: {slow} ({slow_t})."
    ),
    "attributions.v_sanity_rule": (
        "Read at the top of the cascade, as Adebayo et al. do: with the classifier and the last stage random "
        "(down to {top}), a map whose rank correlation with the trained map is still {thr} or more stays "
        "alike and fails. {over}"
    ),
    "attributions.v_sanity_one": "On this one picture:",
    "attributions.v_sanity_many": "Over {n} pictures, mean ± standard deviation:",
    "attributions.v_sanity_pass": "Pass (the map changed with the weights): {names}.",
    "attributions.v_sanity_fail": "Fail (the map stays alike): {names}.",
    "attributions.v_sanity_masked": (
        "{label} passes only through its Grad-CAM factor: {base}, the map it multiplies, stays alike "
        "(ρ={rho:.2f})."
    ),
    "attributions.v_sanity_masked_unrun": (
        "{label}'s change may come from its Grad-CAM factor alone (run {base} beside it to see)."
    ),
    "attributions.v_sanity_agree": "As Adebayo et al. found: {names}.",
    "attributions.v_sanity_disagree": "Adebayo et al. reached the opposite verdict for {names}.",
    "attributions.v_sanity_detail": (
        "With every layer random, every map changes (so the end of the cascade tells nothing apart): "
        "{details}."
    ),
    "attributions.v_none": "none",
    "attributions.v_faith_best": "Lowest deletion area: {best} ({auc:.3f}).",
    "attributions.v_faith_beat": "Against “{rnd}” ({auc:.3f}): beaten at deletion by {names}.",
    "attributions.v_faith_lost": "Not beaten by {names}.",
    "attributions.v_faith_norandom": (
        "Lowest deletion area: {best} ({auc:.3f}); no random map to compare with."
    ),
    "attributions.v_empty": "Nothing measured yet.",
    "attributions.note_gradcam": "rectified (ReLU) at {layer}, bilinearly upsampled",

    # ---- transfer: viz/transfer.py
    "transfer.curves_title": "Training: {strategy}, {trainable} of {total} parameters learn",
    "transfer.step": "step",
    "transfer.loss": "loss",
    "transfer.accuracy": "accuracy",
    "transfer.train_loss": "training loss",
    "transfer.train_acc": "batch accuracy",
    "transfer.held_acc": "held-out accuracy",
    "transfer.no_updates": "no training yet",
    "transfer.confusion_title": "Held-out images: true class against prediction ({acc:.0%} right)",
    "transfer.true": "true class",
    "transfer.predicted": "predicted",
    "transfer.confusion_hover": "true: %{y}<br>predicted: %{x}<br>images: %{z}<extra></extra>",
    "transfer.pca_title": (
        "Pooled features of every image, PCA to 2-D<br><sup>each panel its own projection</sup>"
    ),
    "transfer.before": "before training (separation {sep:.2f})",
    "transfer.after": "after training (separation {sep:.2f})",
    "transfer.axis": "PC{k} ({share:.0%} of variance)",
    "transfer.held_out": "held out",
    "transfer.train": "training",
    "transfer.pca_hover": "%{customdata[0]}<br>class: %{customdata[1]}<br>%{customdata[2]}<extra></extra>",
    "transfer.strategy_features": "fixed feature extractor",
    "transfer.strategy_last_stage": "fine-tune the last stage",
    "transfer.strategy_all": "fine-tune everything",
    "transfer.grid_image": "image",
    "transfer.grid_before": "original network",
    "transfer.grid_after": "fine-tuned",
    "transfer.verdict_train": (
        "{strategy}: held-out accuracy went from {first:.0%} to {last:.0%} in {steps} steps ({seconds:.0f} "
        "s, {trainable} of {total} parameters trained){stop}."
    ),
    "transfer.stop_time": "; stopped by the time budget",
    "transfer.stop_user": "; stopped on request",
    "transfer.verdict_confusion_clean": "Every held-out image of the {n} classes is classified right.",
    "transfer.verdict_confusion": (
        "{right} of {total} held-out images are right ({acc:.0%}); the most common mistake is “{true}” taken "
        "for “{pred}” ({count} times)."
    ),
    "transfer.verdict_pca_better": (
        "The classes separate more after training: the between-to-within class variance ratio of the pooled "
        "features went from {before:.2f} to {after:.2f}."
    ),
    "transfer.verdict_pca_worse": (
        "The pooled features did not separate the classes better (ratio {before:.2f} before, {after:.2f} "
        "after); the new fc layer does the work."
    ),
    "transfer.verdict_cams": (
        "Of {n} held-out images, the fine-tuned network gets {right} right; the original network names them "
        "with its own classes, e.g. “{example}”."
    ),

    # ---- lab.flow: viz/lab/flow.py
    "lab.common.times": "{x}×",
    "lab.common.cores": "{n} cores",
    "lab.common.threads": "{n} torch threads",
    "lab.flow.label_bn": ", BN",
    "lab.flow.label_no_bn": ", no BN",
    "lab.flow.label_zero": ", zero-init",
    "lab.flow.empty": "no gradient flow computed yet",
    "lab.flow.legend": "{label} (first/last {ratio}, {gain} per block)",
    "lab.flow.hover": "%{customdata}<br>rms(∂L/∂output) = %{y:.3g}",
    "lab.flow.title": (
        "Gradient per block at initialization: {family} depth {depth}, one backward pass, batch {batch} at "
        "{size}×{size}"
    ),
    "lab.flow.y": "gradient per element, rms(∂L/∂(block output))",
    "lab.flow.x": "block (input side → output side)",
    "lab.flow.no_split": "a plain network has no shortcut: nothing to split",
    "lab.flow.via_shortcut": "through the shortcut",
    "lab.flow.via_branch": "through the branch",
    "lab.flow.share_hover": (
        "%{x}: %{y:.0%} {part}<br>rms(shortcut part) = %{customdata[0]:.3g}<br>rms(branch part) = "
        "%{customdata[1]:.3g}"
    ),
    "lab.flow.share_y": "share of ∂L/∂x",
    "lab.flow.share_title": "Where each block's input gradient comes from",
    "lab.flow.verdict": (
        "{label}: at initialization the first block's gradient per element is {ratio} the last block's, over "
        "{blocks} blocks ({gain} per block, measured at this depth only). {regime}"
    ),
    "lab.flow.steady": "Within one order of magnitude: one learning rate suits every block.",
    "lab.flow.mild growth": (
        "It grows toward the input, but by less than 100×: one learning rate still serves both ends."
    ),
    "lab.flow.mild decay": (
        "It shrinks toward the input, but by less than 100×: one learning rate still serves both ends."
    ),
    "lab.flow.explodes": (
        "It explodes toward the input: beyond 100×, no single learning rate suits both ends of the first "
        "step."
    ),
    "lab.flow.vanishes": (
        "It vanishes toward the input: beyond 100×, at the first step the first blocks barely learn at a "
        "rate the last ones tolerate."
    ),
    "lab.flow.after": " After {steps} SGD steps (lr {lr}): {ratio}.",
    "lab.flow.after_settled": (
        " After {steps} SGD steps (lr {lr}): {ratio}, within 100× already: the imbalance belongs to the "
        "first steps, not to training."
    ),
    "lab.flow.after_still": " After {steps} SGD steps (lr {lr}): still {ratio}.",
    "lab.flow.after_diverged": (
        " After {steps} SGD steps (lr {lr}) the loss is no longer finite: training at this rate diverges."
    ),
    "lab.flow.dead": "No gradient reaches the last block at all.",
    "lab.flow.forward": (
        " The forward pass has blown up already: the loss at init is {loss:.3g}, chance is {chance:.2g}."
    ),
    "lab.flow.explain_nobn": (
        "Without BN: each plain layer scales the signal by a factor a little under one, so the plain net's "
        "gradient shrinks toward the input ({plain_gain} per block); in a ResNet every block adds its branch "
        "to the stream, x + F(x), so the stream and its gradient grow with depth ({res_gain} per block, loss "
        "at init {res_loss:.3g})."
    ),
    "lab.flow.explain_bn": (
        "With BN: the plain net's gradient explodes toward the input at initialization ({plain_gain} per "
        "block), as Yang et al. (2019) predicted for wide fully-connected networks with BN; the ResNet's "
        "grows only mildly ({res_gain} per block) because each block's gradient has a clean path through the "
        "identity. The paper called BN gradients \"healthy\", meaning they do not vanish; what they do at "
        "initialization is grow toward the input."
    ),
    "lab.flow.explain_zero": (
        "Zero-initialised residual branches (torchvision's zero_init_residual, after Goyal et al. 2017; one "
        "of Fixup's three rules, Zhang et al. 2019): every block starts as the identity, so the ResNet "
        "passes the gradient from block to block unchanged, with or without BN: within each stage "
        "consecutive blocks differ by at most {within}, so nothing compounds with depth; first/last per "
        "element {ratios}, set by the stage transitions, not by the number of blocks. The plain twin keeps "
        "its usual init ({plain_gains} per block)."
    ),

    # ---- lab.shatter: viz/lab/shatter.py
    "lab.shatter.title": (
        "Shattered gradients at initialization ({bn}): the input gradient along a line of {points} inputs"
    ),
    "lab.shatter.bn": "BN",
    "lab.shatter.no_bn": "no BN",
    "lab.shatter.line_panel": "d(output)/dt along the line, depth {depth} (each scaled to unit s.d.)",
    "lab.shatter.ac_panel": "autocorrelation of the gradient vs lag",
    "lab.shatter.t": "position on the line t",
    "lab.shatter.grad": "gradient (scaled)",
    "lab.shatter.lag": "lag (points)",
    "lab.shatter.ac": "autocorrelation",
    "lab.shatter.hover_ac": "lag %{x}: %{y:.2f}",
    "lab.shatter.verdict": (
        "At depth {depth}, neighbouring points' gradients correlate {plain_r:.2f} in {plain} and {res_r:.2f} "
        "in {res} ({pre} {pre_r:.2f}). {judgement} Across depths {depths}, the plain net's neighbour "
        "correlation goes {plain_seq}; the ResNet's {res_seq}."
    ),
    "lab.shatter.shattered": (
        "The plain net's gradient is uncorrelated between neighbouring points (white noise at lag 1: "
        "shattered), the ResNet's still varies smoothly, as Balduzzi et al. found."
    ),
    "lab.shatter.both_smooth": "Both still vary smoothly at this depth: shattering needs more depth.",
    "lab.shatter.not_seen": (
        "The ResNet's gradient is no smoother than the plain net's here, unlike what Balduzzi et al. found."
    ),

    # ---- lab.landscape: viz/lab/landscape.py
    "lab.landscape.title": (
        "Training loss around plain-{depth} and ResNet-{depth} after {steps} steps, along two "
        "filter-normalised directions ({grid}×{grid} grid)"
    ),
    "lab.landscape.saved": (
        "saved: {where}, {date}, {seconds:.0f} s, a single run (one seed: no spread) (ours, not the paper's)"
    ),
    "lab.landscape.live": "live: {device}, {seconds:.0f} s",
    "lab.landscape.panel": "{name}: centre loss {loss:.2f}, training accuracy {acc:.0%}",
    "lab.landscape.a": "direction 1 (α)",
    "lab.landscape.b": "direction 2 (β)",
    "lab.landscape.colorbar": "log10 loss",
    "lab.landscape.hover": "α=%{x:.2f}, β=%{y:.2f}<br>loss %{customdata:.3g}",
    "lab.landscape.missing": "no saved landscape at {path}; run: python scripts/landscape.py",
    "lab.landscape.verdict": (
        "Walking outward from the centre of each slice, the loss dips instead of rising at {plain_dips:.0%} "
        "of grid steps around {plain} and {res_dips:.0%} around {res}; the grid has {plain_min} for {plain} "
        "and {res_min} for {res}. {judgement}"
    ),
    "lab.landscape.minima_1": "1 local minimum",
    "lab.landscape.minima_n": "{n} local minima",
    "lab.landscape.smoother_deep": (
        "The ResNet's surface is the smoother bowl, as Li et al. found from 56 layers on (plain-56 chaotic, "
        "ResNet-56 smooth)."
    ),
    "lab.landscape.smoother_shallow": (
        "The ResNet's surface is the smoother one here; Li et al. found both benign at 20 layers and the "
        "plain surface chaotic only from 56 layers on."
    ),
    "lab.landscape.similar_shallow": (
        "The two surfaces look alike, as Li et al. found at 20 layers (plain-20 benign, like ResNet-20); "
        "they saw the plain surface turn chaotic from 56 layers on."
    ),
    "lab.landscape.similar_deep": (
        "The two surfaces look alike here, unlike what Li et al. found at 56 layers after full training "
        "(plain-56 chaotic, ResNet-56 smooth)."
    ),
    "lab.landscape.rougher": "Here the ResNet's surface is the rougher one, unlike what Li et al. found.",
    "lab.landscape.slope": (
        " {name}'s slice is not centred at a minimum (its lowest grid point is off-centre after {moves} "
        "re-centring moves): walking outward partly walks down its slope, so its dips are not roughness and "
        "the comparison is open."
    ),
    "lab.landscape.moved": " Centred where the loss is lowest, as Li et al. slice at a minimum: {moves}.",
    "lab.landscape.moved_one": "{name} moved by ({a:.2f}, {b:.2f}) from where training stopped",
    "lab.landscape.untrained": (
        " Note: {plain} has trained less (accuracy {acc:.0%} against {res_acc:.0%}), so its slice sits "
        "higher up the surface."
    ),

    # ---- lab.degradation: viz/lab/degradation.py
    "lab.degradation.plain_panel": "plain networks",
    "lab.degradation.res_panel": "ResNets",
    "lab.degradation.step": "step",
    "lab.degradation.error": "error",
    "lab.degradation.train": "{name} training",
    "lab.degradation.test": "{name} held-out",
    "lab.degradation.hover": "step %{x}: error %{y:.1%}",
    "lab.degradation.title": (
        "Degradation on our synthetic data ({seeds} seeds; line: mean training error, band: min–max, dots: "
        "held-out)<br>{where}, {date}: ours, not the paper's numbers"
    ),
    "lab.degradation.missing": "no saved degradation runs at {path}; run: python scripts/degradation.py",
    "lab.degradation.pair": (
        "{deep} ends with training error {deep_err} against {shallow}'s {shallow_err} (mean over the last "
        "{share:.0%} of {steps} steps): the deeper one is {cmp} in {n} of {seeds} seeds."
    ),
    "lab.degradation.worse": "worse",
    "lab.degradation.better": "better",
    "lab.degradation.one_seed": " One seed only: no spread to judge by.",
    "lab.degradation.summary_yes": (
        " The paper's degradation holds here (Fig. 1 and 6): the deeper plain net trains, to a higher "
        "training error, while the deeper ResNet ends lower."
    ),
    "lab.degradation.never_started": (
        " This is not the paper's Fig. 1: {deep} stays at chance ({chance:.0%} error) in every seed: it "
        "never starts training in {steps} steps, while in the paper plain-56 trains, only to a higher error "
        "than plain-20."
    ),
    "lab.degradation.mixed": (
        " The paper's plain-net pattern (the deeper one trains, to a higher error, in every seed) does not "
        "hold here: {started} of {seeds} seeds left chance and {worse} ended worse."
    ),
    "lab.degradation.res_worse": (
        " The deeper ResNet ends worse too in {n} of {seeds} seeds, the opposite of the paper's Fig. 6 "
        "(ResNet-56 below ResNet-20): at this length the runs show depth slowing every network down."
    ),
    "lab.degradation.res_better": " The deeper ResNet ends lower in most seeds, as in the paper's Fig. 6.",

    # ---- lab.race: viz/lab/race.py
    "lab.race.loss_panel": "training loss",
    "lab.race.acc_panel": "accuracy (line: training batches; dots: held-out)",
    "lab.race.loss_hover": "step %{x}: loss %{y:.3f}",
    "lab.race.acc_hover": "step %{x}: training accuracy %{y:.1%}",
    "lab.race.eval_hover": "step %{x}: held-out accuracy %{y:.1%}",
    "lab.race.held_out": "held-out",
    "lab.race.step": "step",
    "lab.race.loss": "cross-entropy",
    "lab.race.accuracy": "accuracy",
    "lab.race.press": "press start: plain and residual networks will race here",
    "lab.race.done": "done",
    "lab.race.running": "running",
    "lab.race.stopped": "stopped ({why})",
    "lab.race.time budget": "time budget",
    "lab.race.title": "{names}: step {step}/{steps}, {elapsed:.0f} s on {device}, {state}",
    "lab.race.missing": "no saved curves at {path}; run: python scripts/race.py",
    "lab.race.vs": " vs ",
    "lab.race.saved": (
        "Saved race (ours, not the paper's): {names}, a single run (seed {seed}: no spread across "
        "seeds)<br>{steps} steps on {where} ({device}), torch {torch}, {date}, {wall:.0f} s"
    ),
    "lab.race.verdict": (
        "After {step} steps, {res} scores {res_acc:.0%} on held-out images and {plain} {plain_acc:.0%}: "
        "{lead}"
    ),
    "lab.race.lead_res": (
        "the ResNet leads by {gap:.0f} percentage points, with the same layers and the same batches; only "
        "the shortcuts differ."
    ),
    "lab.race.lead_plain": "the plain net leads by {gap:.0f} percentage points so far.",
    "lab.race.lead_tie": "neither leads yet (within {gap:.0f} percentage points).",
    "lab.race.waiting": "No held-out score yet.",

    # ---- lab.ablation: viz/lab/ablation.py
    "lab.ablation.branch": "Zeroing the residual branch of {block}",
    "lab.ablation.shortcut": "Cutting the shortcut of {block}",
    "lab.ablation.same": (
        " keeps the top class “{label}” ({p0:.0%} → {p1:.0%}); {overlap} of the top {k} classes stay in the "
        "top {k}."
    ),
    "lab.ablation.moved": (
        " moves the top class from “{label}” ({p0:.0%}) to “{new}” ({p2:.0%}; “{label}” now {now}); "
        "{overlap} of the top {k} classes stay in the top {k}."
    ),
    "lab.ablation.barely": " On this picture the network barely noticed.",
    "lab.ablation.barely_branch": (
        " On this picture the network barely noticed, as Veit et al. found for one deleted block of a "
        "trained ResNet."
    ),
    "lab.ablation.clearly": " On this picture the prediction clearly changed.",
    "lab.ablation.random": (
        " The weights are random, so the predictions mean nothing before or after: this change says nothing "
        "about what {block} does in a trained network. Pick ImageNet weights to test Veit et al.'s finding."
    ),
    "lab.ablation.out": "below the top {k}",
    "lab.ablation.empty": "Nothing measured yet.",

    # ---- lab.anatomy: viz/lab/anatomy.py
    "lab.anatomy.bottleneck/v1/title": "Bottleneck v1 (paper)",
    "lab.anatomy.bottleneck/v1/note": (
        "stride 2 on the first 1×1 conv:<br>it skips 3 of every 4 positions<br>before any 3×3 sees them"
    ),
    "lab.anatomy.bottleneck/v1.5/title": "Bottleneck v1.5 (torchvision)",
    "lab.anatomy.bottleneck/v1.5/note": (
        "stride 2 moved to the 3×3 conv:<br>same parameters, more compute,<br>about +0.5% top-1"
    ),
    "lab.anatomy.bottleneck/preact/title": "Bottleneck pre-activation",
    "lab.anatomy.bottleneck/preact/note": (
        "BN-ReLU before each conv, nothing after ⊕:<br>x passes from block to block untouched<br>(Identity "
        "Mappings, Fig. 4e)"
    ),
    "lab.anatomy.basic/v1/title": "Basic v1 = v1.5",
    "lab.anatomy.basic/v1/note": (
        "v1 and v1.5 differ only in bottlenecks:<br>a basic block has no 1×1 to move<br>the stride from"
    ),
    "lab.anatomy.basic/preact/title": "Basic pre-activation",
    "lab.anatomy.basic/preact/note": "BN-ReLU before each conv,<br>nothing after ⊕",
    "lab.anatomy.input": "x (input)",
    "lab.anatomy.no_relu": "no ReLU after ⊕",
    "lab.anatomy.conv": "conv {k}×{k}",
    "lab.anatomy.stride": ", stride {s}",
    "lab.anatomy.channels": " (×{n} channels)",
    "lab.anatomy.plus_bn": " + BN",
    "lab.anatomy.no_bn": " (no BN)",
    "lab.anatomy.legend": (
        "<span style='color:#ff7f0e'><b>orange</b></span>: where this variant differs · blue: conv · yellow: "
        "BN · green: ReLU · shortcut on the right (projection: first block of a stage)"
    ),

    # ---- lab.hypothesis: viz/lab/hypothesis.py
    "lab.hypothesis.title": (
        "Fig. 7 of He et al., measured: each block's response F(x) after {steps} training steps (ours, on "
        "synthetic shapes)"
    ),
    "lab.hypothesis.std": "std of the response F(x)",
    "lab.hypothesis.relative": "‖F(x)‖ / ‖x‖",
    "lab.hypothesis.x": "block (input side → output side)",
    "lab.hypothesis.legend": "{name} (held-out {acc:.0%})",
    "lab.hypothesis.hover": "%{customdata}<br>%{y:.3g}",
    "lab.hypothesis.depth": (
        "Depth {depth}: the ResNet's responses have a mean std of {res:.3g} against {plain:.3g} for its "
        "plain twin, {cmp} (smaller at {frac:.0%} of the block positions); the ResNet's median ‖F(x)‖/‖x‖ is "
        "{rel:.2f}."
    ),
    "lab.hypothesis.smaller": "smaller",
    "lab.hypothesis.not_smaller": "not smaller",
    "lab.hypothesis.deeper": (
        "ResNet-{deep}'s mean response std ({a:.3g}) is {cmp} ResNet-{shallow}'s ({b:.3g})."
    ),
    "lab.hypothesis.below": "below",
    "lab.hypothesis.not_below": "not below",
    "lab.hypothesis.holds": (
        "**The paper's reading holds here:** residual functions come out generally small, smaller than the "
        "plain net's layers{deeper}. That fits the hypothesis (a block near the identity needs only a small "
        "F), it does not prove it."
    ),
    "lab.hypothesis.holds_deeper": ", and smaller in the deeper net",
    "lab.hypothesis.partly": (
        "**The paper's pattern does not fully hold at this length of training:** see which comparison fails "
        "above; the paper trained for 64k iterations, this for {steps} steps."
    ),
    "lab.hypothesis.pretrained": (
        "{name} ({source}, no plain twin to compare): response std {lo:.3g}–{hi:.3g} per block, median "
        "‖F(x)‖/‖x‖ {rel:.2f}."
    ),
    "lab.hypothesis.no_pretrained": (
        "No pretrained ResNet-50 weights on this server, so only the trained twins are measured."
    ),
    "lab.hypothesis.untrained": (
        " The plain-{depth} net reached only {acc:.0%} held-out accuracy, so its responses are those of a "
        "net that barely trained."
    ),

    # ---- lab.gradient_split: viz/lab/gradient_split.py
    "lab.gradient_split.title": (
        "∂E/∂x_l split at every block: through the shortcut (the “1” of Eq. 5) and through the branch. Depth "
        "{depth}, at initialization, batch of {batch}"
    ),
    "lab.gradient_split.via_shortcut": "through the shortcut",
    "lab.gradient_split.via_branch": "through the branch",
    "lab.gradient_split.total": "‖∂E/∂x_l‖ (autograd)",
    "lab.gradient_split.y": "gradient norm",
    "lab.gradient_split.x": "block (input side → output side)",
    "lab.gradient_split.hover": "%{customdata}: %{y:.3g}",
    "lab.gradient_split.preact": (
        "**{name}:** on its {n} identity blocks the shortcut part equals the gradient at the block's output "
        "exactly (ratio {lo:.4f}–{hi:.4f}): the clean path of Eq. 5, the top's gradient reaching every block "
        "unchanged."
    ),
    "lab.gradient_split.v1": (
        "**{name}:** the ReLU after ⊕ passes the shortcut part only where the sum is positive, so it carries "
        "{mean:.0%} of the output gradient's norm on average ({lo:.0%}–{hi:.0%}): the path is not clean."
    ),
    "lab.gradient_split.plain": (
        "**{name}:** no shortcut, no “1”: every bit of gradient goes through the layers, and the first "
        "block's gradient is {ratio} the last's."
    ),
    "lab.gradient_split.norms": (
        "The “1” keeps the gradient from vanishing, not the norms equal: in the pre-activation net the first "
        "block's gradient is {pre} the last's, in v1 {v1}."
    ),
    "lab.gradient_split.sum": (
        "Check: shortcut part + branch part equals autograd's gradient to within {err:.1e} (relative) at "
        "every block."
    ),

    # ---- lab.lesion: viz/lab/lesion.py
    "lab.lesion.paths_panel": "paths through n = {n} blocks,<br>by length (C(n, k) / 2ⁿ)",
    "lab.lesion.single_panel": "delete one block<br>(shortcut kept, branch dropped)",
    "lab.lesion.k_panel": "delete k random blocks<br>(mean; band: worst–best draw)",
    "lab.lesion.path_x": "blocks on the path (k)",
    "lab.lesion.path_y": "share of the 2ⁿ paths",
    "lab.lesion.block_x": "deleted block",
    "lab.lesion.k_x": "blocks deleted (k)",
    "lab.lesion.acc": "held-out accuracy",
    "lab.lesion.title": "Veit et al. (2016), measured on {source}",
    "lab.lesion.saved_title": (
        "Veit et al. (2016) on the race's deeper nets: {seeds} seeds, {where}, {date} (ours, not the paper's "
        "numbers)"
    ),
    "lab.lesion.hover": "%{customdata}: %{y:.1%}",
    "lab.lesion.paths": (
        "With {n} blocks there are 2^{n} ≈ {total} paths; {mass:.0%} of them pass through {lo} to {hi} "
        "branches (mean {mean:.1f}), none but one through all {n}: most paths are much shorter than the "
        "network."
    ),
    "lab.lesion.robust": (
        "**{name}** (intact {intact:.1%}): deleting one block leaves {lo:.1%}–{hi:.1%}; {ok} of its {m} "
        "blocks that keep the shape stay within {drop:.0f} points. **It behaves like an ensemble**, as Veit "
        "et al. found for deep ResNets."
    ),
    "lab.lesion.fragile": (
        "**{name}** (intact {intact:.1%}): deleting one block leaves {lo:.1%}–{hi:.1%}; only {ok} of its {m} "
        "blocks that keep the shape stay within {drop:.0f} points. **The ensemble robustness does not appear "
        "here.**"
    ),
    "lab.lesion.fragile_small": (
        " With {n} blocks there are only 2^{n} = {total} paths, and few short ones: Veit's finding is about "
        "deep ResNets."
    ),
    "lab.lesion.plain": (
        "**{name}** (intact {intact:.1%}): removing one layer leaves {lo:.1%}–{hi:.1%} (median {med:.1%}, "
        "chance {chance:.0%}): a plain network has one path, and it breaks, as VGG did for Veit et al."
    ),
    "lab.lesion.k_smooth": (
        "Deleting k random blocks from {name}: mean accuracy {first:.1%} at k = 1 down to {last:.1%} at k = "
        "{k}, no single deletion costing more than {step:.1%}: a smooth decline (Veit's Fig. 5)."
    ),
    "lab.lesion.k_sharp": (
        "Deleting k random blocks from {name}: mean accuracy {first:.1%} at k = 1 down to {last:.1%} at k = "
        "{k}; one more deletion can cost {step:.1%}: not the smooth decline of Veit's Fig. 5."
    ),
    "lab.lesion.huang": (
        "Stochastic depth (Huang et al., 2016) trains by deleting random blocks this way, which makes a "
        "ResNet more robust still."
    ),
    "lab.lesion.missing": "no saved lesion runs at {path}; run: python scripts/lesion.py",
    "lab.lesion.seed_line": (
        "seed {seed}: {name} intact {intact:.1%}, {ok} of {m} shape-keeping blocks deletable within "
        "{drop:.0f} points: {word}"
    ),
    "lab.lesion.seed_robust": "robust",
    "lab.lesion.seed_fragile": "below the 80 % of blocks Veit's reading needs",
    "lab.lesion.seeds": "**Veit's robustness appears in {n} of {seeds} seeds of {name}.** Seed 0 in full:",
    "lab.lesion.untrained": (
        "**{name}** reached only {intact:.1%} intact (chance {chance:.0%}): it did not train, so deleting "
        "its blocks ({lo:.1%}–{hi:.1%}) says nothing about robustness; its failure to train is the "
        "degradation problem itself."
    ),

    # ---- lab.paper: viz/lab/paper.py
    "lab.paper.cifar_head": "**CIFAR-10, the paper's Table 6 (their numbers, not ours):**",
    "lab.paper.cifar_cols": (
        "| network | parameters | test error |\n"
        "| --- | --- | --- |"
    ),
    "lab.paper.cifar_note": (
        "Depth helps up to 110 layers; ResNet-1202 is worse than ResNet-110 although its training error is "
        "as low: the paper attributes it to overfitting (19.4M parameters for a small data set). Plain-20 "
        "and plain-56 appear only as curves (Fig. 6, left): the deeper plain net has the higher training and "
        "test error; the paper gives no table numbers for them."
    ),
    "lab.paper.imagenet_head": "**ImageNet, the paper's Tables 2–3 (validation, 10-crop; their numbers):**",
    "lab.paper.imagenet_cols": (
        "| network | top-1 error | top-5 error |\n"
        "| --- | --- | --- |"
    ),
    "lab.paper.flops_head": (
        "**FLOPs: the paper's Table 1 beside this project's exact count** (multiply-accumulates of the "
        "convolutions and the fc layer at 224×224, the paper's v1 block; the Architecture tab shows the same "
        "count):"
    ),
    "lab.paper.flops_cols": (
        "| depth | Table 1 | counted here |\n"
        "| --- | --- | --- |"
    ),
    "lab.paper.not_given": "not given",

    # ---- lab.no_bn: viz/lab/no_bn.py
    "lab.no_bn.title": "ResNet-{depth} without BN: {steps} steps on the race's data (ours)",
    "lab.no_bn.stream_panel": "std of the stream after each block, at initialization",
    "lab.no_bn.loss_panel": "training loss (gaps: not finite)",
    "lab.no_bn.block": "block",
    "lab.no_bn.step": "step",
    "lab.no_bn.default": (
        "**default (He init):** the stream's std grows {growth} from the first block to the last (x + F(x) "
        "with F as large as x: the variance about doubles per block), {fate}."
    ),
    "lab.no_bn.cure": "**{method}:** every block starts as the identity (stream growth {growth}); it {fate}.",
    "lab.no_bn.diverged": "the loss is not finite or stays above chance ({chance:.2f}): it does not train",
    "lab.no_bn.trains": (
        "trains: loss {first:.2f} → {last:.2f} (chance {chance:.2f}), held-out accuracy {acc:.0%}"
    ),
    "lab.no_bn.note": (
        "A short run: the cures' job is to make training possible without BN, not to match BN in {steps} "
        "steps."
    ),
    "lab.no_bn.seed_line": "seed {seed}: trains: {ok}; does not: {bad} (held-out: {accs})",
    "lab.no_bn.saved_where": (
        "**Saved runs** (ResNet-{depth} without BN, {steps} steps, {seeds} seeds; {machine}, {date}; ours):"
    ),
    # ---- error: what a resnet_core.errors.UserError names by its key (the page words it; its own
    # message is the library's English for scripts)
    "error.no_image": "No image was given. Please choose an image first.",
    "error.image_empty": "The file is empty (0 bytes).",
    "error.image_text": "This file is text, not an image we can read (use PNG, JPEG, WebP, GIF, BMP or TIFF).",
    "error.image_unsupported": (
        "This file is not an image we can read ({kind} is not supported; use PNG, JPEG, WebP, GIF, BMP or TIFF)."
    ),
    "error.not_an_image": "This file is not an image we can read (use PNG, JPEG, WebP, GIF, BMP or TIFF).",
    "error.image_damaged": "This image file is damaged and cannot be read.",
    "error.image_damaged_kind": "This {kind} file is damaged and cannot be read.",
    "error.image_incomplete": (
        "This {format} file is incomplete or damaged (it may have been cut off during upload)."
    ),
    "error.image_bomb": "This image is too large: it has more than {limit} megapixels. Please use a smaller picture.",
    "error.image_pixels": (
        "This image is too large: {width}×{height} is {size} megapixels, the limit is {limit}. "
        "Please use a smaller picture."
    ),
    "error.image_file_size": "This file is {size}; the limit is {limit}. Please use a smaller file.",
    "error.image_no_pixels": "This image has no pixels (it is {width}×{height}).",
    "error.image_mode": "Images in colour mode {mode} are not supported; use PNG, JPEG, WebP, GIF, BMP or TIFF.",
    "error.image_not_file": "This is not an image file (it is a folder or a special file).",
    "error.image_not_found": "The image file could not be found.",
    "error.image_permission": "The image file could not be opened (permission denied).",
    "error.image_not_opened": "The image file could not be opened.",
    "error.image_decode_large": "This image is too large to decode safely.",
    "error.image_decode_memory": "This image is too large to decode in the memory available.",
    "error.image_size_whole": "The input size must be a whole number, got {got}.",
    "error.image_size_range": "The input size must be a whole number from 1 to {limit}, got {got}.",
    "error.weights_input_size": "These weights ask for {size}-pixel inputs; this server takes 1 to {limit} pixels.",
    "error.meta_ifd_entries": (
        "This image's metadata ({what}) has {n:,} entries in one directory; the limit is {limit}. Please save "
        "the picture again without its metadata."
    ),
    "error.meta_tiff_strips": (
        "This TIFF file is stored in {n:,} strips or tiles; the limit is {limit:,}. Please save it again (any "
        "image editor does) or use PNG."
    ),
    "error.meta_values": (
        "This image's metadata ({what}) holds more than {limit:,} numbers, which would take far more memory to "
        "read than the picture itself. Please save the picture again without its metadata."
    ),
    "error.meta_bytes": (
        "This image's metadata ({what}) claims more data than the file holds, which would take far more memory "
        "to read than the picture itself. Please save the picture again without its metadata."
    ),
    "error.meta_jpeg_segments": (
        "This JPEG has more than {limit:,} blocks of metadata before its picture. Please save it again without "
        "its metadata."
    ),
    "error.meta_gif_blocks": (
        "This GIF has more than {limit:,} blocks of metadata before its first picture. Please save it again "
        "without comments, or use PNG."
    ),
    "error.meta_png_chunks": "This PNG is cut into more than {limit:,} chunks. Please save it again (any image editor does).",
    "error.meta_png_metadata": (
        "This PNG is cut into more than {limit:,} chunks of metadata. Please save it again (any image editor does)."
    ),
    "error.term_tiff_file": "TIFF file",
    "error.no_output": "{layer} has no output at {height}×{width}; choose a larger input",
    "error.position_outside": "position ({row}, {col}) is outside {layer}'s {height}×{width} output",
    "error.no_layer": "no stage or block named {layer} in {model}",
    "error.no_layer_stages": "no stage or block named {layer}; stages are {stages}",
    "error.channel_range": "{layer} has channels 0 to {last}; {got} is not one of them",
    "error.erf_empty": "the gradient map is empty: nothing reaches the input from this unit",
    "error.picture_sides": "the picture is {width}×{height}; each side must be from 1 to {limit} pixels",
    "error.upload_first_inspect": "Upload an image in the Inspect tab first (or pick one of its examples).",
    "error.upload_first": "Upload an image first (or pick one of the examples).",
    "error.run_first": "Run an inspection first.",
    "error.inspection_expired": "Your last inspection has expired; run it again.",
    "error.session_empty": "nothing kept for this session yet",
    "error.session_expired": "what this session kept has expired; run it again",
    "error.result_too_large": "this result is too large to keep for redrawing; choose a smaller input size",
    "error.not_yours": "This session belongs to another browser; reload the page to start your own.",
    "error.server_full": (
        "The server is holding as much as it can for jobs that are running; try again in a few minutes, "
        "or choose a smaller input."
    ),
    "error.budget_params": (
        "{name} has {value:.1f}M parameters; this server runs networks of up to {limit:.1f}M (ResNet-152 has "
        "60.2M). The Architecture tab still shows it."
    ),
    "error.budget_macs": (
        "{name} at {size}×{size} takes {value:.0f} GMACs per pass; this server allows {limit:g}. "
        "Choose a smaller network."
    ),
    "error.budget_macs_fits": (
        "{name} at {size}×{size} takes {value:.0f} GMACs per pass; this server allows {limit:g}. "
        "Choose an input size up to about {fits} or a smaller network."
    ),
    "error.input_sides": "input sides must be between {low} and {high} pixels, got {got}",
    "error.block_counts": "block counts are four whole numbers such as 2, 2, 2, 2; got {got}",
    "error.block_count_number": "give one block count per stage ({stages}), got {got}",
    "error.blocks_per_stage": "each stage needs between {low} and {high} blocks, got ({got})",
    "error.unknown_class": "unknown class {value}: pick one from the list or type its number (0-{last})",
    "error.layer_name": "choose a layer by name, e.g. 'layer4' or 'layer3.2'",
    "error.layer_unknown": "the model has no layer called {layer}; choose one of: {choices}",
    "error.targets_many": "at most {limit} Grad-CAM targets at once, got {got}",
    "error.target_range": "target classes must be integers in [0, {last}], got {got}",
    "error.checkpoint_suffix": "checkpoints are accepted as .safetensors or .pth files",
    "error.checkpoint_missing": "upload a checkpoint (.safetensors or .pth) first, or pick other weights",
    "error.checkpoint_expired": "your checkpoint has expired from this session; load it again",
    "error.checkpoint_other_arch": "your checkpoint was loaded for another architecture; load it again for this one",
    "error.checkpoint_size": "{name} is {size} MB; the limit is {limit} MB",
    "error.not_a_checkpoint": (
        "{name} is not a checkpoint: expected a .safetensors file or a state dict saved with torch.save."
    ),
    "error.checkpoint_pickle_named_safetensors": (
        "{name} is named .safetensors but holds a pickle (torch.save data); refused: rename it .pth if that "
        "is what it is."
    ),
    "error.checkpoint_pickle_refused": (
        "{name} was refused: its pickle asks to build objects that a weights file never needs; only tensors "
        "and plain containers are loaded (save a state_dict, or use safetensors)."
    ),
    "error.checkpoint_unreadable": "{name} is not a readable checkpoint (truncated or corrupt?).",
    "error.checkpoint_params": (
        "{name} holds {value:.1f}M parameters; this server loads checkpoints of up to {limit:.1f}M "
        "(ResNet-152 has 60.2M)."
    ),
    "error.checkpoint_unexpected_key": "{name} does not fit {arch}: unexpected key {entry}{more}",
    "error.checkpoint_none": "choose a .safetensors or .pth file",
    "error.checkpoint_missing_key": "{name} does not fit {arch}: missing key {entry}{more}",
    "error.term_arch_classes": "{model} with {classes} classes",
    "error.term_and_more": " (and {n} more)",
    "error.term_trained_for": "; it was trained for {classes} classes",
    "error.checkpoint_shape": (
        "{name} does not fit {arch}: {entry} has shape {shape}, the model needs {needed}{hint}"
    ),
    "error.checkpoint_no_file": "no checkpoint file at {name}",
    "error.checkpoint_not_read": "{name} could not be read",
    "error.checkpoint_not_read_why": "{name} could not be read ({reason})",
    "error.checkpoint_zip_records": "{name}: its zip entries unpack to more than its tensors hold; refused",
    "error.checkpoint_tensors": "{name} holds {n} tensors; a ResNet has at most {limit}; refused",
    "error.checkpoint_entries": "{name} holds {n} entries; a ResNet has at most {limit}; refused",
    "error.checkpoint_values": (
        "{name} holds {value:.1f}M values (its tensors and storages in full); this server loads up to "
        "{limit:.1f}M; refused before loading"
    ),
    "error.safetensors_entry": "{name}: malformed safetensors entry for {entry}",
    "error.safetensors_truncated": (
        "{name} is truncated or corrupt: {entry} ends at byte {end} but the data has {size} bytes"
    ),
    "error.safetensors_data": "{name} is corrupt: the data of {entry} does not match its shape and dtype",
    "error.safetensors_header_size": (
        "{name}: the safetensors header claims {n} bytes; a ResNet needs under {limit} MB; refused"
    ),
    "error.safetensors_header_length": (
        "{name}: the safetensors header length ({n}) runs past the end of the file ({size} bytes)"
    ),
    "error.safetensors_header_json": "{name}: the safetensors header is not valid JSON",
    "error.safetensors_header_object": "{name}: the safetensors header is not a JSON object",
    "error.checkpoint_zip_entries": "{name} is a zip of {n} entries; a ResNet checkpoint has far fewer; refused",
    "error.checkpoint_zip_damaged": "{name} is a damaged zip archive, not a checkpoint",
    "error.checkpoint_torchscript": (
        "{name} is a TorchScript program (torch.jit.save), which is refused; upload its state_dict instead"
    ),
    "error.checkpoint_export": (
        "{name} is a torch.export program (.pt2), which is refused; upload its state_dict instead"
    ),
    "error.checkpoint_zip_other": "{name} is a zip archive but not a torch.save checkpoint",
    "error.checkpoint_unpacks": "{name} unpacks to more than {limit} MB; refused",
    "error.checkpoint_pickle_size": "{name}: its pickle unpacks to more than {limit} MB; refused",
    "error.checkpoint_not_state_dict": "{name} holds a {kind}, not a state dict",
    "error.checkpoint_key_type": "{name}: state dict keys must be strings, found {entry}",
    "error.checkpoint_not_tensor": "{name}: {entry} is a {kind}, not a tensor",
    "error.checkpoint_not_dense": "{name}: {entry} is not a plain dense tensor",
    "error.checkpoint_empty": "{name} holds no tensors",
    "error.checkpoint_dtype_float": "{name}: {entry} has dtype {dtype}, a floating-point tensor is needed",
    "error.checkpoint_dtype_int": "{name}: {entry} has dtype {dtype}, an integer tensor is needed",
    "error.checkpoint_not_finite": "{name}: {entry} holds NaN or infinite values",
    "error.checkpoint_load_failed": "{name} could not be loaded into {model}: {detail}",
    "error.checkpoint_too_large_values": "{name}: {entry} holds values too large for {dtype}",
    "error.checkpoint_not_loaded": (
        "the weights “checkpoint” are your own file: load a checkpoint for this architecture first (it is kept "
        "for your session only), or choose other weights"
    ),
    "error.checkpoint_network_params": (
        "{name} makes a network of {value:.1f}M parameters ({classes} classes); this server runs networks of up "
        "to {limit:.1f}M"
    ),
    "error.checkpoint_other_backend": "this checkpoint was loaded by another backend; load it again",
    "error.checkpoint_gone": "your checkpoint is no longer on the server; load it again",
    "error.input_too_small": "the input is too small: {layer} would produce a {height}x{width} map",
    "error.imagenet_depth": "ImageNet weights exist only for ResNet-{standard}, not for {name}",
    "error.imagenet_variant": "ImageNet weights exist only for torchvision's v1.5 layout, not for the {variant} variant",
    "error.imagenet_lab": "ImageNet weights need BatchNorm and shortcuts, which this lab model lacks",
    "error.imagenet_classes": "ImageNet weights have 1000 classes, this model has {classes}",
    "error.weights_no_such": "ResNet-{depth} has no {name} weights (choose from {names})",
    "error.download_large": "the download of {url} is larger than expected",
    "error.download_corrupt": "the download of {url} is corrupt (hash mismatch)",
    "error.download_http": "the download failed (HTTP {code})",
    "error.download_no_network": "no network",
    "error.download_not_saved": "the file could not be saved ({kind})",
    "error.weights_offline": "offline mode ({env}=1) and not in the torch hub cache at {cache}",
    "error.weights_not_cached": "{reason} and not in the torch hub cache at {cache}",
    "error.weights_cache_unusable": "the cached file {path} is unusable ({problem}); delete it to download again",

    # ---- transfer learning: resnet_core/transfer and the Train tab (playground/tabs/train.py)
    "error.transfer_name_type": "A class name must be text, not {kind}.",
    "error.transfer_name_empty": "The class name {name} is empty once markup and spaces are removed.",
    "error.transfer_one_class": (
        "Give between {low} and {high} classes; got 1. A classifier needs at least two classes to choose between."
    ),
    "error.transfer_class_count": "Give between {low} and {high} classes; got {got}.",
    "error.transfer_name_twice": (
        "Two classes have the same name once tidied: {first} and {second}. Give every class its own name."
    ),
    "error.transfer_class_empty": "The class {name} has no images; add at least {low}.",
    "error.transfer_class_few": (
        "The class {name} has {n} image; give at least {low} (one to learn from, one to test on)."
    ),
    "error.transfer_class_many": "The class {name} has {n} images; at most {high} per class are allowed.",
    "error.transfer_total": "{total} images in all; at most {high} are allowed.",
    "error.transfer_pairs": "Give each class as a (name, images) pair.",
    "error.transfer_megapixels": (
        "These pictures hold {pixels:,.0f} megapixels in all; at most {limit:,.0f} are read per data set. Use "
        "fewer or smaller pictures."
    ),
    "error.transfer_read_time": (
        "Reading the pictures took longer than this run's time budget; use fewer or smaller pictures, or allow "
        "more seconds."
    ),
    "error.transfer_image": "Class {name}, image {label}: {problem}",
    "error.transfer_no_folder": "No folder at {name}.",
    "error.transfer_zip_backslash": "The zip member {member} has a backslash or NUL in its path; refused.",
    "error.transfer_zip_absolute": "The zip member {member} has an absolute path; refused.",
    "error.transfer_zip_outside": "The zip member {member} points outside the archive ('..'); refused.",
    "error.transfer_zip_link": "The zip member {member} is a symbolic link; refused.",
    "error.transfer_zip_encrypted": "The zip member {member} is encrypted; use a plain zip.",
    "error.transfer_zip_nested": "The zip member {member} is an archive; nested archives are refused.",
    "error.transfer_zip_member_size": "The zip member {member} declares {size} bytes; at most {limit} MB per image.",
    "error.transfer_zip_ratio": "The zip member {member} would expand {ratio} times; refused as a possible zip bomb.",
    "error.transfer_zip_unreadable": "The zip member {member} cannot be read ({kind}).",
    "error.transfer_zip_damaged": "The zip member {member} is damaged.",
    "error.transfer_zip_overflow": (
        "The zip member {member} holds more than it declares or than the caps allow; refused as a possible zip bomb."
    ),
    "error.transfer_zip_in_zip": "The zip member {member} is itself a zip; nested archives are refused.",
    "error.transfer_zip_expands": "The zip expands to more than {limit} MB; refused.",
    "error.transfer_zip_not_image": "The zip member {member} is not an image (allowed: {allowed}).",
    "error.transfer_zip_empty": "The zip holds no images; put one folder of images per class in it.",
    "error.transfer_zip_no_folder": (
        "The zip member {member} is not inside a class folder; use one folder per class with the images directly "
        "in it."
    ),
    "error.transfer_no_zip": "No zip file at {name}.",
    "error.transfer_zip_type": "A zip is a file path or bytes, not {kind}.",
    "error.transfer_zip_size": "The zip is {size} MB; at most {limit} MB.",
    "error.transfer_not_zip": "This file is not a readable zip archive.",
    "error.transfer_zip_entries": "The zip has {n} entries; at most {limit} are allowed.",
    "error.transfer_zip_bomb": (
        "The zip declares {declared} MB of images in {size} KB; refused as a possible zip bomb (pictures barely "
        "compress)."
    ),
    "error.transfer_held_out": "The held-out share must be between 0.05 and 0.5, got {got}.",
    "error.transfer_strategy_got": "Strategy must be one of {choices}; got {got}.",
    "error.transfer_strategy": "Strategy must be one of {choices}.",
    "error.transfer_number": "{name} must be a number, got {got}.",
    "error.transfer_range": "{name} must be in ({low:g}, {high:g}], got {got}.",
    "error.transfer_whole": "{name} must be a whole number from {low} to {high}, got {got}.",
    "error.transfer_features_time": (
        "Extracting the features of {n} images took longer than this run's time budget; allow more seconds, or "
        "choose fewer images, a smaller network or a smaller input size."
    ),
    "error.transfer_reserve": "The reserve must be from 0 to under {limit:g} seconds, got {got}.",
    "error.transfer_not_resnet": "Training needs a ResNet built by resnet_core.",
    "error.transfer_config": "config must be a TrainConfig.",
    "error.transfer_outputs": "The model has {outputs} outputs for {names} class names.",
    "error.transfer_not_safetensors": "This file is not a safetensors checkpoint.",
    "error.transfer_not_export": "This checkpoint was not exported by the transfer tab (no class names in it).",
    "error.transfer_metadata": "The checkpoint's metadata is damaged.",
    "error.transfer_script_variant": "The script covers v1 and v1.5 ResNets; pre-activation networks are not covered.",
    "error.transfer_train_first": "Train first; there is nothing to compare yet.",
    "error.transfer_zip_missing": "Choose a .zip file with one folder of images per class.",
    "error.transfer_source": "the images come from one of {choices}",
    "error.finetune_data_type": "the data set must be a resnet_core.transfer.data.ImageSet",
    "error.finetune_data_size": "the data set holds from 1 to {high} pictures, each with a name",
    "error.finetune_picture": "each picture must be an (H, W, 3) uint8 array (as resnet_core.transfer.data reads them)",
    "error.finetune_labels": "the labels must be an (N,) int64 array, one per picture",
    "error.finetune_label_range": "every label must name one of the data set's classes",
    "error.finetune_key": "key must be a resnet_core.zoo.ModelKey",
    "error.finetune_checkpoint": (
        "fine-tuning starts from torchvision's weights or random ones, not a loaded checkpoint"
    ),
    "error.finetune_config": "config must be a resnet_core.transfer.train.TrainConfig",
    "error.finetune_spent": "spent is a number of seconds, not {got}",
    "error.finetune_no_time": "the time budget was spent before training could start; allow more seconds",
    "error.finetune_max_cams": "max_cams is a whole number from 0 to {high}",
    "error.train_first": "Train first; there is nothing to compare or export yet.",
    "error.train_expired": "Your training run has expired; train again.",
    "error.snapshot_first": "Take a snapshot first.",
    "error.jobs_per_address": (
        "This address already has {n} jobs waiting or running; wait for them to finish (or read their "
        "results) before sending more."
    ),
    "error.jobs_per_session": (
        "This browser session already has {n} jobs waiting or running; wait for them to finish (or read "
        "their results) before sending more."
    ),
    "error.server_crowded": (
        "The server is busy: while its queue is this full, each address may have one job waiting or "
        "running. Try again when your job has finished."
    ),
    "error.upload_rate": (
        "Too many uploads from this address: at most {mb} MB per {seconds} s. Try again in a minute."
    ),
    "error.upload_space_full": "The server's upload space is full right now. Try again in a few minutes.",
    "error.upload_length": "Uploads need a Content-Length.",
    "error.request_too_large": "The request is larger than {mb} MB.",
    "error.remote_file": "Only files on this server are served, not web addresses.",
    "error.uploads_only": "Files are taken from uploads only, not from web addresses.",
    "error.not_a_choice": "\"{value}\" is not in the list of choices.",
    "error.term_value": "value",
    "error.whole_number_not": "The {name} must be a whole number, not {got}.",
    "error.whole_number_digits": "The {name} must be a whole number written with the digits 0-9, got {got}.",
    "error.whole_number": "The {name} must be a whole number, got {got}.",
    "error.whole_number_range": "The {name} must be a whole number from {low} to {high}, got {got}.",
    "error.whole_number_low": "The {name} must be a whole number from {low}, got {got}.",
    "error.whole_number_high": "The {name} must be a whole number to {high}, got {got}.",
    "error.size_whole": "the input size is a whole number of pixels, not {got}",
    "error.top_k_whole": "top-k is a whole number, not {got}",
    "error.class_whole": "a class is a whole number, not {got}",
    "error.class_several": "{value} names several classes ({numbers}); pick one by number",
    "error.position": "a position is a row and a column such as 7, 7 (or empty for the centre), not {got}",
    "error.channels": "channels are 1 to {high} whole numbers such as 0, 1, 2, 3; got {got}",
    "error.saved_too_large": "{name} is larger than {limit} bytes; not a {what} file",
    "error.saved_format": "{name} is not a {what} file: format is {found}, expected {expected}",
    "error.saved_malformed": "{name} is not a {what} file: {problem}",
    "error.term_race": "race-curves",
    "error.term_no_bn": "no-BN",
    "error.term_degradation": "degradation",
    "error.term_lesion": "lesion",
    "error.term_landscape": "landscape",
    "error.lab_integer": "{name} must be an integer between {low} and {high}, got {got}",
    "error.lab_number": "{name} must be a number between {low} and {high}, got {got}",
    "error.cifar_depth": "CIFAR ResNets have 6n+2 layers (20, 32, 44, 56, 110), not {depth}",
    "error.lab_no_block": "the model has no block called {block}",
    "error.lab_no_block_between": "the model has no block called {block} (blocks: {first} ... {last})",
    "error.lab_plain_block": "{block} is a plain block (no shortcut), so there is nothing to ablate",
    "error.landscape_cpu_grid": "a {grid}x{grid} grid at depth {depth} is too much for a CPU; use a smaller grid",
    "error.flow_work": (
        "batch x input_size^2 x depth = {batch} x {size}^2 x {depth} = {work:,} is over the limit of {limit:,} "
        "for {family}; use a smaller batch or input size"
    ),
    "error.shatter_work": "points x sum of depths x (input_size/16)^2 = {work:,.0f} is over {limit:,}",
    "error.lab_depths_four": "give one to four depths, got {got}",
    "error.lab_depths_six": "give one to six depths, got {got}",
    "error.lab_distinct_depths": "give one to {most} distinct depths, got {got}",
    "error.attribution_budget": (
        "{what} would send {passes} images through the network; the limit per request is {limit}: choose "
        "fewer or cheaper methods, lower their samples or steps, or raise the stride or cell size"
    ),
    "error.method_budget": (
        "{method} would send {passes} images through the network; the limit per request is {limit}: "
        "lower its samples or steps, or raise the stride or cell size"
    ),
    "error.deletion_passes": "deletion and insertion need {passes} forward passes; the limit is {limit}",
    "error.metric_passes": "{method}'s metrics need {passes} forward passes; the limit is {limit}",
    "error.mask_features": "the mask has {n} features; at most {most}: use larger cells",
    "error.attr_no_layer": "the model has no layer called {name}",
    "error.sanity_passes": (
        "the sanity check would send {passes} images through the network ({steps} steps); "
        "the limit per request is {limit}: choose fewer or cheaper methods"
    ),
    "error.weights_side": "these weights ask for {side}-pixel inputs; this server takes 1 to {most} pixels",
    "error.sanity_pictures": "only {n} pictures are at hand for the sanity check",
    "error.methods_at_once": "choose 1 to {limit} methods at once",
    "error.lrp_no_rule": (
        "captum's LRP has no propagation rule for {names}, and none of its rules fits (the relevance of a "
        "zero-padded shortcut has no defined split)"
    ),
    "error.method_not_applicable": "{method} does not apply to this model: {why}",
    "error.term_these_methods": "these methods",
    "error.term_sanity_check": "the sanity check ({steps} steps, {pictures} pictures)",
    "error.term_faithfulness": "the faithfulness study",
}
