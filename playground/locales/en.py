"""English: every word the page shows, by key (Chinese in zh.py, with the same keys)."""

TEXT: dict[str, str] = {
    # page
    "title": "ResNet playground",
    "heading": "# ResNet playground",
    "subtitle": "Pick a depth, upload an image, and see what every stage of a residual network does with it.",
    "intro": (
        "ResNet ([He et al., 2015](https://arxiv.org/abs/1512.03385)) adds a shortcut around every few layers, "
        "so each block learns a *residual* F(x) and outputs F(x) + x. "
        "[Identity Mappings](https://arxiv.org/abs/1603.05027) moves BN and ReLU before the convolutions so the "
        "shortcut path stays clean from end to end. Three questions run through this page: **what problem does "
        "ResNet solve** (*Why residual?*), **how is its code written** (*Architecture*), and **how do you use it** "
        "(*Train on your images*: fine-tune it on your own pictures and take the weights home; *Inspect* and "
        "*Compare depths* show what a trained one sees)."
    ),
    "tab_arch": "Architecture",
    "tab_inspect": "Inspect",
    "tab_compare": "Compare depths",
    "tab_lab": "Why residual?",
    # the shared model picker
    "depth": "Depth",
    "counts": "Block counts per stage",
    "counts_info": "Four whole numbers, one per stage, e.g. 2, 2, 2, 2",
    "block_type": "Block type",
    "variant": "Variant",
    "weights": "Weights",
    "own_weights": "Your own weights (.safetensors or .pth)",
    "ckpt_help": (
        "Load a state dict of the architecture chosen above (for ResNet-50: torchvision's `resnet50` layout, "
        "any number of classes) as a `.safetensors` or `.pth` file of at most {mb} MB. It is read without running "
        "any code, checked key by key, and kept for this browser session only; then pick the weights "
        "“checkpoint”."
    ),
    "checkpoint": "Checkpoint",
    "ckpt_loaded": "Loaded **{name}** into {model} ({classes} classes). Pick the weights “checkpoint” to use it; it stays with this browser session only.",
    # notices
    "device": "**Device:** {device}",
    "notice_real": "✅ {model} with {source} weights. {device}",
    "notice_pending": "ℹ️ {model} with {source} weights, loaded when you first run it. {device}",
    "notice_random": "⚠️ **{model} with random weights: its predictions are meaningless.** {device}",
    "notice_no_default": "⚠️ The default model could not be loaded: {error}. {device}",
    "random_short": "random weights",
    "random_mark": "random weights: not a real prediction",
    # architecture tab
    "height": "Input height",
    "width": "Input width",
    "level": "Graph level",
    "unfold": "Unfold long stages",
    "show": "Show",
    "graph": "Block graph",
    "cost": "Cost per stage",
    "block": "Block",
    "code_btn": "Show the block's code",
    "code": "Block code",
    "code_pick": "# pick a block to see its code",
    "totals": (
        "**{name}** at {h}×{w}: **{params}** parameters, **{macs}**, {adds} residual additions "
        "(counted apart from the MACs), {blocks} blocks."
    ),
    "arch_help": (
        "Every box is a block; solid arrows are identity shortcuts, dashed ones projection shortcuts "
        "(a 1×1 convolution where the shape changes). The table gives every stage's output shape with its "
        "arithmetic: out = ⌊(in + 2·padding − kernel) / stride⌋ + 1."
    ),
    # inspect tab
    "picture": "Image",
    "examples": "Examples",
    "options": "Options",
    "layer": "Grad-CAM layer",
    "target": "Class to explain",
    "mode": "Preprocessing",
    "mode_crop": "crop to the centre",
    "mode_whole": "whole picture",
    "size": "Input size",
    "top_k": "Top-k",
    "guided": "Guided Grad-CAM",
    "run": "Inspect",
    "quick": "Top-k only (one fast forward pass)",
    "gradcam": "Grad-CAM",
    "guided_panel": "Guided Grad-CAM",
    "opacity": "Heatmap opacity",
    "colormap": "Colour map",
    "predictions": "Predictions",
    "topk_plot": "Top-k",
    "timeline_heading": "**Grad-CAM at the stem and every stage** (rows: the top classes): which layer should you pick?",
    "timeline": "Grad-CAM timeline",
    "stage": "Stage or block",
    "scale": "Colour scale",
    "scale_per-channel": "each channel its own",
    "scale_shared": "shared by all channels",
    "gallery": "Strongest channels",
    "stats": "Per-block statistics",
    "auto_target": "auto (top-1)",
    "cam_caption": "Grad-CAM at {layer} for “{label}” (class {target}, logit {score:.2f})",
    "act_text": (
        "**{name}** output {c}×{h}×{w}: mean {mean:.3f}, std {std:.3f}, max {max:.3f}, {zeros:.0%} zeros. "
        "Strongest channels: {channels}"
    ),
    "run_info": "{model}: input {h}×{w}, {ms:.0f} ms on the server",
    "run_pending": "; the Grad-CAM timeline below is on its way",
    "run_timeline": " ({ms:.0f} ms of it for the timeline, sent after the rest)",
    "predict_info": "{model}: input {h}×{w}, top-{k} in {ms:.1f} ms on the server (forward pass only: no Grad-CAM, no activations)",
    "progress_load": "loading the model and reading the image",
    "progress_pass": "one forward, one backward",
    "progress_draw": "drawing",
    "progress_timeline": "the Grad-CAM timeline: stem and every stage",
    # compare tab
    "compare_help": "The picture from the *Inspect* tab, through every standard depth with the weights chosen above. Each network is built and run once before its forward pass is timed, so the time column is the cost of depth, not of loading.",
    "compare": "Compare all depths",
    "compare_gallery": "Grad-CAM at layer4",
    "col_model": "model",
    "col_top5": "top-5",
    "col_ms": "forward ms",
    "col_build": "build s",
    "col_params": "parameters",
    "col_gmacs": "GMACs",
    "col_weights": "weights",
    # lab tab
    "lab_intro": (
        "The article this page grew from answers “what problem does ResNet solve?” with two claims: shortcuts "
        "fix vanishing and exploding gradients, and they fix **degradation** (deeper plain networks train worse). "
        "The [ResNet paper](https://arxiv.org/abs/1512.03385) is subtler: with BN its plain networks' gradients "
        "have healthy norms, and degradation is an optimization difficulty. Later work measured more: shattered "
        "gradients, the shape of the loss surface, zero-initialised branches. Each claim is measured below, "
        "live on this server or from a saved run that says how it was made, and the words under each figure "
        "are computed from its numbers."
    ),
    "family": "Network family",
    "bn": "Batch normalization",
    "bn_on": "on",
    "bn_off": "off",
    "bn_both": "both",
    "flow": "Measure gradient flow",
    "flow_plot": "Gradient norm per block (log scale)",
    "share_plot": "Where the gradient arrives from",
    "race_heading": "### 5. A live training race: plain-N against ResNet-N on this server",
    "race": "Start the race",
    "seconds": "Time budget (s)",
    "race_plot": "Live curves",
    "saved_plot": "The longer race (saved)",
    "race_status": "Step {step}/{steps}, {elapsed:.0f} s on {device}",
    "race_stopped": " (stopped: {why})",
    "stop_time_budget": "time budget",
    "race_line": "* **{name}**: training loss {loss:.3f}",
    "race_heldout": ", held-out accuracy {acc:.0%}",
    "ablation_heading": "### 6. Shortcut ablation on the picture from *Inspect*",
    "ablate": "Ablate",
    "ablate_mode": "Ablation",
    "ablate_branch": "zero the residual branch",
    "ablate_shortcut": "cut the shortcut",
    "before": "Before",
    "after": "After",
    "cam_before": "Grad-CAM before",
    "cam_after": "Grad-CAM after",
    "anatomy_heading": "### 7. Block anatomy: v1, v1.5 and pre-activation",
    "anatomy": "Block anatomy",
    # messages
    "err_no_image": "Upload an image in the Inspect tab first (or pick one of its examples).",
    "err_run_first": "Run an inspection first.",
    "toast_error": "Error",
    "toast_warning": "Warning",
    "toast_info": "Info",
    "err_title": "Error",
    "err_generic": "Something went wrong on our side; the error was logged and the server keeps running.",
    "err_oom_gpu": "The GPU ran out of memory for this request. Try a smaller input size or depth.",
    "err_oom": "The server ran out of memory for this request. Try a smaller input size or depth.",
    "err_busy": "You already have {n} jobs running or waiting; wait for one to finish.",
    "level_block": "blocks",
    "level_layer": "every layer",
    "family_cifar": "CIFAR (6n+2, 32×32)",
    "family_imagenet": "ImageNet (18-152)",
    "weights_random": "random",
    "weights_checkpoint": "your checkpoint",
    "depth_custom": "custom",
    "block_basic": "basic",
    "block_bottleneck": "bottleneck",
    "tab_attr": "Attributions",
    "attr_intro": (
        "Where does the network look? Each **attribution method** answers differently: gradients, paths from "
        "a baseline, occluding patches, Shapley values (all through [captum](https://captum.ai)'s own classes). "
        "Compare them side by side, then ask which you can trust: a **sanity check** randomises the network "
        "layer by layer from the logits down ([Adebayo et al. 2018](https://arxiv.org/abs/1810.03292)) and a "
        "faithful map must change with it; a **faithfulness** test deletes the pixels a map ranks highest "
        "([Petsiuk et al. 2018](https://arxiv.org/abs/1806.07421)) and a faithful map makes the class "
        "probability fall fastest. The shipped *toy* ResNet was trained on generated shapes, so its maps mean "
        "something even without ImageNet weights."
    ),
    "attr_model": "Model",
    "attr_model_toy": "toy ResNet trained on shapes (shipped)",
    "attr_model_picked": "the model picked above",
    "attr_methods": "Methods",
    "attr_params": "Method options",
    "attr_steps": "Integrated Gradients: steps",
    "attr_baseline": "Baseline (what “absent” means)",
    "attr_baseline_black": "black",
    "attr_baseline_blur": "blurred picture",
    "attr_baseline_noise": "noise",
    "attr_baseline_mean": "mean colour",
    "attr_nt_samples": "SmoothGrad / VarGrad: noisy samples",
    "attr_window": "Occlusion: window (pixels)",
    "attr_stride": "Occlusion: stride (pixels)",
    "attr_mask": "Feature Ablation / Shapley: features",
    "attr_mask_grid": "grid cells",
    "attr_mask_superpixels": "superpixels",
    "attr_cell": "Grid cell (pixels)",
    "attr_samples": "Shapley: permutations",
    "attr_scale": "Colour scale",
    "attr_scale_signed": "signed (red for, blue against)",
    "attr_scale_absolute": "absolute",
    "attr_shared": "One range for every map",
    "attr_run": "Compare methods",
    "attr_stop": "Stop",
    "attr_sanity": "Sanity check",
    "attr_sanity_pictures": "Sanity check: pictures to judge over (yours, then the bundled toy examples in name order)",
    "attr_sanity_first": "The curves and maps below show your picture only; the verdict above is over all the pictures.",
    "attr_faith": "Faithfulness",
    "attr_grid": "Maps side by side",
    "attr_sanity_plot": "Similarity to the trained network's map as layers are randomised",
    "attr_sanity_maps": "Maps at each step of the randomisation",
    "attr_faith_plot": "Deletion and insertion curves",
    "attr_all_apply": "Every method applies to this network.",
    "attr_not_apply": "Methods that do not apply to this network:",
    "attr_progress_sanity": "randomising layer by layer",
    "attr_random": "random maps, the yardstick",
    "attr_stopped": "Stopped at your request.",
    "flow_heading": "### 1. Vanishing or exploding gradients? Gradient norm per block at initialization",
    "zero_init": "Zero-init residual (last BN of each block = 0)",
    "shatter_heading": "### 2. Shattered gradients: is the gradient still structured, or white noise at lag 1?",
    "shatter": "Measure shattering",
    "shatter_plot": "Gradient along a line of inputs, and its correlation with its neighbours",
    "landscape_heading": "### 3. The loss surface around a trained network (Li et al. compared 20 and 56 layers: live here, saved at 56 below)",
    "landscape_grid": "Grid points per side",
    "landscape": "Slice the loss surface",
    "landscape_plot": "Loss surface (live)",
    "landscape_saved": "Loss surface (saved run at 56 layers, where Li et al. saw plain nets turn chaotic; machine in the title)",
    "degradation_heading": "### 4. Degradation? Deeper against shallower, plain and ResNet: short saved runs on our data (not the paper's numbers; the verdict says what they show)",
    "degradation_plot": "Training error of plain and residual networks, several seeds",
    "landscape_training": "training {name}",
    "landscape_slicing": "slicing the loss around {name}",
    "landscape_done": "done",
    "tab_train": "Train on your images",
    "train_intro": (
        "**How do you use a ResNet?** Take one and fit it to your own classes. Give 2 to 10 classes (the bundled "
        "set of stripes, dots and checkers, one zip with a folder per class, or pictures per class below), pick a "
        "strategy — train only a new `fc` on fixed features, fine-tune the last stage, or fine-tune everything — "
        "and watch it learn. Then see what changed inside, and take the weights and a standalone script home. "
        "Without a network the weights start random (the page says so); on a CPU a small network trains in a minute."
    ),
    "train_source": "Images from",
    "train_source_example": "the bundled example set",
    "train_source_zip": "one zip, a folder per class",
    "train_source_classes": "the class slots below",
    "train_zip": "Zip of class folders",
    "train_class_n": "Class {n}: name",
    "train_images": "Pictures",
    "train_more": "More classes (up to 10)",
    "train_webcam": "Webcam snapshots",
    "train_snapshot": "Snapshot",
    "train_to_class": "Add to class",
    "train_add_snapshot": "Add the snapshot",
    "train_strategy": "Strategy",
    "train_augment": "Augmentation (flips, crops, colour)",
    "train_held_out": "Held out for testing",
    "train_steps": "Training steps",
    "train_start": "Start training",
    "train_curves": "Loss and accuracy",
    "train_confusion": "Confusion matrix (held-out pictures)",
    "train_pca": "Pooled features before and after training (PCA)",
    "train_cams": "Held-out pictures: Grad-CAM of the original and the fine-tuned network",
    "train_export_heading": "### Take it home",
    "train_export": "Export the weights and a script",
    "train_weights_file": "Weights (.safetensors)",
    "train_script_file": "Standalone script (classify.py)",
    "train_reading": "reading the pictures",
    "train_head0": "{classes} classes, {images} pictures, on {model}.",
    "train_random": "Its weights are random (no pretrained weights here): it learns from scratch.",
    "train_trainable": "Trainable: {trainable} of {total} parameters.",
    "train_step": "step {step} of {steps}",
    "train_analysing": "comparing before and after",
    "train_exported": "Wrote **{name}** (class names in its metadata); it loads back under “Your own weights”. Run `python classify.py <folder>` next to it.",
    "train_stopped": "Stopped at your request: nothing of this run was kept. Train again to compare before and after and to export.",
    "train_cut": "The time budget ran out while comparing before and after; allow more seconds to see all of it.",
    "train_cut_features": "The feature map was left out (no time was left for it).",
    "train_cut_cams": "Grad-CAM was drawn for {n} of {planned} held-out pictures.",
    # receptive fields and feature visualization (tabs/receptive.py)
    "rf_heading": "What each stage sees: the receptive field",
    "rf_help": (
        "A position of a stage's output depends on a square of input pixels, its *receptive field*. It is read "
        "from the modules: each conv or pool of kernel k and stride s gives `r_out = r_in + (k − 1)·j_in` and "
        "`j_out = j_in·s`, where j (the *jump*) is the input distance between neighbouring positions; a block sees "
        "the larger of its main path and its shortcut. The boxes show what one position of each stage sees around "
        "the same point."
    ),
    "rf_layer": "Stage or block",
    "rf_position": "Position (row, col)",
    "rf_position_info": "Empty for the centre of the layer's output",
    "rf_show": "Show the fields",
    "rf_picture": "Picture to draw on",
    "rf_boxes": "Receptive fields around one point",
    "rf_json": "Numbers (JSON)",
    "rf_inspect_heading": "What each stage sees: effective field and channels",
    "rf_inspect_help": (
        "The **effective receptive field** ([Luo et al. 2016](https://arxiv.org/abs/1701.04128)) is where the "
        "gradient of a stage's centre unit actually reaches in the input, averaged over noise pictures and on your "
        "picture. **Feature visualization** ([Olah et al. 2017](https://distill.pub/2017/feature-visualization/)) "
        "optimises a picture to excite a channel, beside the parts of real pictures that excite it most. The "
        "shipped *toy* ResNet was trained on shapes; the picked model has random weights unless this server has "
        "ImageNet weights for it."
    ),
    "rf_model": "Network",
    "rf_model_toy": "toy ResNet trained on shapes (shipped)",
    "rf_model_picked": "the model picked above",
    "rf_size": "Input side",
    "rf_size_info": "0: the model's own (64 px for the toy)",
    "rf_erf_heading": "#### Effective receptive field",
    "rf_noise": "Noise pictures to average",
    "rf_erf_run": "Measure the effective field",
    "rf_erf_plot": "Gradient of the centre unit inside its theoretical field (dashed: 95 % of the mass)",
    "rf_erf_picture": "On your picture",
    "rf_fv_heading": "#### What the channels look for",
    "rf_channels": "Channels",
    "rf_channels_info": "Up to 8 numbers, optimised together in one batch",
    "rf_fv_size": "Picture side",
    "rf_steps": "Most steps",
    "rf_seconds": "Most seconds",
    "rf_fv_run": "Visualize the channels",
    "rf_fv_grid": "Optimised pictures (left) and the fields that excite each channel most",
    "rf_fv_progress": "Optimising: step {step} of {steps}, {s:.1f} s",
    # the paper's argument (playground/tabs/argument.py)
    "arg_intro": (
        "## The argument\n"
        "He et al. write the mapping a few layers should learn as **H(x) = F(x) + x**: the layers learn the "
        "*residual* F(x) = H(x) − x and a shortcut adds x back. That learning F is easier is a **hypothesis**, "
        "not a theorem: *if an identity were optimal, pushing F to zero is easier than fitting an identity with a "
        "stack of nonlinear layers*. ResNets built on it work very well, probably because the shortcut carries "
        "the gradient well. Below, the argument step by step, each step measured: the paper's evidence for the "
        "hypothesis, the shortcut's gradient equation, and why deep ResNets behave like ensembles of shallow paths."
    ),
    "arg_hypothesis": (
        "### A. The hypothesis and the paper's evidence (He et al. 2015, §3.1 and Fig. 7)\n"
        "If the wanted mapping is close to the identity, a residual block only needs a small F(x). The paper "
        "checks this indirectly: the standard deviation of each layer's response (after BN, before the addition "
        "and ReLU) is smaller in ResNets than in their plain twins, and smaller in deeper ResNets. Here the race's "
        "plain-N and ResNet-N are trained on the same batches, then each block's response F(x) is measured on "
        "held-out images, with ‖F(x)‖ / ‖x‖ beside it."
    ),
    "arg_depths": "Depths (one to three)",
    "arg_steps": "Training steps",
    "arg_response_run": "Train and measure the responses",
    "arg_response_plot": "Response of each block: std of F(x) and ‖F(x)‖ / ‖x‖",
    "arg_numbers": "The numbers (JSON)",
    "arg_bn_hypothesis": (
        "**What BN does here.** Each response is read after the branch's last BN, which sets the branch's output "
        "to a learned scale: that is why the paper's plain networks, BN in every layer, train at all, and why "
        "their responses compare with the ResNet's. At the end of a branch, BN keeps F(x) at the scale of its γ, "
        "so the residual stream x + F(x) grows only as much as the branches add. Without BN every block adds a "
        "term as large as x and the variance of the stream doubles per block; De & Smith (2020) show that BN's "
        "real service in a ResNet is this downscaling of the branch, and SkipInit replaces it by a learnable "
        "scalar on the branch that starts at zero. The responses are measured in eval mode: BN then uses its "
        "running statistics, as at test time; in train mode it normalises with the batch's own."
    ),
    "arg_equation": (
        "### B. Why the shortcut carries the gradient (Identity Mappings, Eq. 4–5)\n"
        "With identity shortcuts and nothing after the addition, any deeper block's output is the shallower one's "
        "plus a sum of residuals, and the gradient follows:\n\n"
        "$$x_L = x_l + \\sum_{i=l}^{L-1} F(x_i), \\qquad "
        "\\frac{\\partial E}{\\partial x_l} = \\frac{\\partial E}{\\partial x_L}"
        "\\Big(1 + \\frac{\\partial}{\\partial x_l}\\sum_{i=l}^{L-1} F(x_i)\\Big)$$\n\n"
        "The **1** hands the top's gradient to every block unchanged, and the sum is unlikely to cancel it for a "
        "whole batch, so the gradient cannot vanish; nothing in the equation makes the norms equal either. v1's "
        "ReLU after ⊕ multiplies the 1 by its mask (zero wherever the sum is negative), and a projection or a BN on "
        "the shortcut multiplies it by a matrix or a scale: then the path is no longer clean. The figure splits "
        "each block's input gradient into the part through the shortcut and the part through the branch; they add "
        "up to autograd's gradient."
    ),
    "arg_split_run": "Split the gradient",
    "arg_split_plot": "Gradient per block: through the shortcut and through the branch",
    "arg_bn_gradient": (
        "**BN and the gradient.** At initialization BN makes a plain net's gradient grow toward the input "
        "(Yang et al. 2019; the plain panel above), so deep plain nets do not fail for lack of gradient; that "
        "growth is a property of the random start and does not last once the weights adapt, yet the plain net "
        "still trains worse (degradation, measured further down). The shortcut's 1 does not come from BN but "
        "from the addition."
    ),
    "arg_ensembles": (
        "### C. ResNets behave like ensembles of shallow paths (Veit et al. 2016)\n"
        "Unrolled, n residual blocks give 2ⁿ paths, C(n, k) of them through k branches: most paths are about n/2 "
        "blocks long. Veit et al. deleted single blocks from a trained ResNet (shortcut kept, branch dropped) and "
        "its error barely moved, while removing one layer of a plain network broke it; deleting k random blocks "
        "degraded it smoothly. Stochastic depth (Huang et al. 2016) trains with blocks dropped at random in just "
        "this way. Pick the shipped 8-block toy model (seconds) or the race's ResNet-N and plain-N (trained live "
        "first); below, saved runs of ResNet-56 (27 blocks) over several seeds."
    ),
    "arg_network": "Network",
    "arg_network_toy": "the shipped toy (8 blocks)",
    "arg_network_race": "the race's ResNet-N and plain-N (trained now)",
    "arg_lesion_run": "Delete blocks",
    "arg_lesion_plot": "Paths by length, and held-out accuracy with blocks deleted",
    "arg_lesion_saved": "Saved: the race's ResNet-56 and plain-56, several seeds",
    "arg_paper_heading": "### D. The papers' own numbers (for reference; theirs, not measured here)",
    "arg_stage_training": "training {name}",
    "arg_stage_measuring": "measuring {name}",
    "arg_stage_lesioning": "deleting blocks of {name}",
    "arg_stage_loading": "loading the {name} model",
    "arg_no_bn_heading": (
        "**Without BN.** Take BN out of a ResNet and keep the usual initialization: each block adds a branch as "
        "large as its input, so the stream's variance about doubles per block and the forward pass blows up. "
        "Three cures start every block as the identity: **zero-init** (the branch's last layer at zero), "
        "**SkipInit** (De & Smith 2020: a learnable scalar on the branch, initialised at 0) and **Fixup** "
        "(Zhang et al. 2019: zero the classifier and each branch's last layer; scale the other branch layers by "
        "L^(−1/(2m−2)); add a scalar multiplier per branch and scalar biases before each convolution, linear "
        "layer and activation). Below they are measured at initialization and trained side by side."
    ),
    "arg_no_bn_run": "Train without BN",
    "arg_no_bn_plot": "The stream at initialization, and the training loss, without BN",
    "arg_no_bn_saved": "Saved: without BN, several seeds (the first seed drawn)",
    "arg_stop": "Stop",
    "arg_stopped": "Stopped before the end: nothing to show from this run.",
}
